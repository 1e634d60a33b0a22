"""The contract of the reference-data port (``shared.reference_data.ReferenceData``), one suite for every adapter:
subclass ``ReferenceDataContract`` and give it a ``reference`` fixture (the in-memory fake in unit tests, the
Redis adapter in integration tests)."""

from __future__ import annotations

from shared.reference import Account, Fees, Instrument, LinkageTerms, Registry, UnitClass
from shared.reference_data import ReferenceData

BEIJING = Registry(id="CN-BJ", name="Beijing", currency="CNY", offset_share="0.05")
SEOUL = Registry(id="KR", name="Korea", currency="KRW")


def instrument(**overrides: object) -> Instrument:
    fields: dict[str, object] = dict(id="BJEA-2025", registry="CN-BJ", currency="CNY",
                                     unit=UnitClass(origin="CN-BJ", type="ALLOWANCE", vintage=2025), tick=1, lot=10,
                                     band="1/10", fees=Fees(maker_bps=5, taker_bps=10, min_fee=100))
    return Instrument(**(fields | overrides))


def link(**overrides: object) -> LinkageTerms:
    fields: dict[str, object] = dict(id="BJ-KR", kind="UNILATERAL", from_registry="CN-BJ", to_registry="KR",
                                     exchange_rate="2", discount="0.05")
    return LinkageTerms(**(fields | overrides))


class ReferenceDataContract:
    """What every reference-data adapter does."""

    async def test_an_unknown_id_is_none_and_an_empty_kind_lists_nothing(self, reference: ReferenceData) -> None:
        assert await reference.registry("CN-BJ") is None
        assert await reference.instrument("BJEA-2025") is None
        assert await reference.account("CN-BJ/acme") is None
        assert await reference.link("BJ-KR") is None
        assert (await reference.registries(), await reference.instruments(), await reference.accounts(),
                await reference.links()) == ([], [], [], [])

    async def test_a_record_reads_back_equal_to_what_was_put(self, reference: ReferenceData) -> None:
        account = Account(id="CN-BJ/acme", holder="Acme Steel", principals=("acme-desk",))
        await reference.put_registry(BEIJING)
        await reference.put_instrument(instrument())
        await reference.put_account(account)
        await reference.put_link(link())

        assert await reference.registry("CN-BJ") == BEIJING
        assert await reference.instrument("BJEA-2025") == instrument()
        assert await reference.account("CN-BJ/acme") == account
        assert await reference.link("BJ-KR") == link()

    async def test_the_latest_put_wins(self, reference: ReferenceData) -> None:
        await reference.put_link(link())
        await reference.put_link(link(status="SUSPENDED", suspended_at=1_000))

        assert (await reference.link("BJ-KR")).status == "SUSPENDED"
        assert [terms.status for terms in await reference.links()] == ["SUSPENDED"]

    async def test_lists_are_ordered_by_id_whatever_the_order_of_puts(self, reference: ReferenceData) -> None:
        await reference.put_registry(SEOUL)
        await reference.put_registry(BEIJING)
        await reference.put_instrument(instrument(id="SHEA-2025"))
        await reference.put_instrument(instrument())

        assert [r.id for r in await reference.registries()] == ["CN-BJ", "KR"]
        assert [i.id for i in await reference.instruments()] == ["BJEA-2025", "SHEA-2025"]

    async def test_kinds_are_kept_apart(self, reference: ReferenceData) -> None:
        await reference.put_registry(Registry(id="BJ-KR", currency="CNY"))
        await reference.put_link(link())

        assert (await reference.registry("BJ-KR")).currency == "CNY"
        assert (await reference.link("BJ-KR")).kind == "UNILATERAL"
