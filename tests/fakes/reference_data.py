"""An in-memory fake of the reference-data port (``shared.reference_data.ReferenceData``), for unit tests."""

from __future__ import annotations

from typing import TypeVar

from shared.reference import Account, Instrument, LinkageTerms, Registry

M = TypeVar("M", Registry, Instrument, Account, LinkageTerms)


class InMemoryReferenceData:
    """Records by kind and id, kept as the JSON the Redis adapter stores, so both hand back equal, fresh copies."""

    def __init__(self) -> None:
        self._kinds: dict[type, dict[str, str]] = {Registry: {}, Instrument: {}, Account: {}, LinkageTerms: {}}

    def _get(self, model: type[M], item_id: str) -> M | None:
        raw = self._kinds[model].get(item_id)
        return None if raw is None else model.model_validate_json(raw)

    def _put(self, item: Registry | Instrument | Account | LinkageTerms) -> None:
        self._kinds[type(item)][item.id] = item.model_dump_json()

    def _list(self, model: type[M]) -> list[M]:
        return [model.model_validate_json(raw) for _, raw in sorted(self._kinds[model].items())]

    async def registry(self, registry_id: str) -> Registry | None:
        return self._get(Registry, registry_id)

    async def put_registry(self, registry: Registry) -> None:
        self._put(registry)

    async def registries(self) -> list[Registry]:
        return self._list(Registry)

    async def instrument(self, instrument_id: str) -> Instrument | None:
        return self._get(Instrument, instrument_id)

    async def put_instrument(self, instrument: Instrument) -> None:
        self._put(instrument)

    async def instruments(self) -> list[Instrument]:
        return self._list(Instrument)

    async def account(self, account_id: str) -> Account | None:
        return self._get(Account, account_id)

    async def put_account(self, account: Account) -> None:
        self._put(account)

    async def accounts(self) -> list[Account]:
        return self._list(Account)

    async def link(self, link_id: str) -> LinkageTerms | None:
        return self._get(LinkageTerms, link_id)

    async def put_link(self, link: LinkageTerms) -> None:
        self._put(link)

    async def links(self) -> list[LinkageTerms]:
        return self._list(LinkageTerms)
