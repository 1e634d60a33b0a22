"""Reference data in Redis: one hash per kind (``ref:registries``, ``ref:instruments``, ``ref:accounts``,
``ref:links``), field = id, value = the model as JSON. Async get / put / list over redis.asyncio.

Every put also counts ``ref:version`` up in the same transaction, so a reader that caches reference data (oversight)
can tell with one GET whether what it judges with is still current."""

from __future__ import annotations

from typing import TypeVar

import redis.asyncio as aioredis
from pydantic import BaseModel

from shared.reference import Account, Instrument, LinkageTerms, Registry

REGISTRIES = "ref:registries"
INSTRUMENTS = "ref:instruments"
ACCOUNTS = "ref:accounts"
LINKS = "ref:links"
VERSION = "ref:version"

M = TypeVar("M", bound=BaseModel)


class ReferenceStore:
    """Reads and writes reference records; the latest put wins."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def _get(self, key: str, model: type[M], item_id: str) -> M | None:
        raw = await self._client.hget(key, item_id)
        return None if raw is None else model.model_validate_json(raw)

    async def _put(self, key: str, item: BaseModel) -> None:
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(key, item.id, item.model_dump_json())  # type: ignore[attr-defined]
        pipe.incr(VERSION)
        await pipe.execute()

    async def version(self) -> int:
        """How many puts the reference data has seen (0 before the first)."""
        return int(await self._client.get(VERSION) or 0)

    async def _list(self, key: str, model: type[M]) -> list[M]:
        raws = await self._client.hvals(key)
        return sorted((model.model_validate_json(raw) for raw in raws), key=lambda m: m.id)  # type: ignore[attr-defined]

    async def registry(self, registry_id: str) -> Registry | None:
        return await self._get(REGISTRIES, Registry, registry_id)

    async def put_registry(self, registry: Registry) -> None:
        await self._put(REGISTRIES, registry)

    async def registries(self) -> list[Registry]:
        return await self._list(REGISTRIES, Registry)

    async def instrument(self, instrument_id: str) -> Instrument | None:
        return await self._get(INSTRUMENTS, Instrument, instrument_id)

    async def put_instrument(self, instrument: Instrument) -> None:
        await self._put(INSTRUMENTS, instrument)

    async def instruments(self) -> list[Instrument]:
        return await self._list(INSTRUMENTS, Instrument)

    async def account(self, account_id: str) -> Account | None:
        return await self._get(ACCOUNTS, Account, account_id)

    async def put_account(self, account: Account) -> None:
        await self._put(ACCOUNTS, account)

    async def accounts(self) -> list[Account]:
        return await self._list(ACCOUNTS, Account)

    async def link(self, link_id: str) -> LinkageTerms | None:
        return await self._get(LINKS, LinkageTerms, link_id)

    async def put_link(self, link: LinkageTerms) -> None:
        await self._put(LINKS, link)

    async def links(self) -> list[LinkageTerms]:
        return await self._list(LINKS, LinkageTerms)
