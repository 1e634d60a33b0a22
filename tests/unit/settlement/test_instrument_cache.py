"""Settlement's instrument cache over the reference-data port (the in-memory fake here): an operator's change
reaches settlement once the cached copy is older than its time to live; an unknown instrument is asked again."""

from __future__ import annotations

from services.settlement.instruments import InstrumentCache
from shared.reference import Fees
from tests.contracts.reference_data import instrument
from tests.fakes.reference_data import InMemoryReferenceData


async def test_a_cached_instrument_is_served_until_its_time_to_live_is_over() -> None:
    reference = InMemoryReferenceData()
    await reference.put_instrument(instrument())
    kept, fresh = InstrumentCache(reference, ttl_s=3_600), InstrumentCache(reference, ttl_s=0)
    assert (await kept.get("BJEA-2025")) == (await fresh.get("BJEA-2025")) == instrument()

    await reference.put_instrument(instrument(fees=Fees(maker_bps=1, taker_bps=2)))

    assert (await kept.get("BJEA-2025")).fees.maker_bps == 5
    assert (await fresh.get("BJEA-2025")).fees.maker_bps == 1


async def test_an_unknown_instrument_is_not_remembered_as_unknown() -> None:
    reference = InMemoryReferenceData()
    cache = InstrumentCache(reference, ttl_s=3_600)
    assert await cache.get("BJEA-2025") is None

    await reference.put_instrument(instrument())

    assert await cache.get("BJEA-2025") == instrument()
