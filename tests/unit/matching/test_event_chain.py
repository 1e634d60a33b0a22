"""Each of an instrument's `orders.events` events names the one before it (`Envelope.follows`), across batches
and across a snapshot, so that settlement can tell an event that overtook a lost one; book deltas, on another
topic, are not in the chain."""

from __future__ import annotations

import asyncio

import orjson

from services.matching import partition_state
from services.matching.event_publisher import send_events
from services.matching.partition_state import PartitionState
from shared.topics import MARKET_DATA, ORDERS_EVENTS
from tests.unit.matching.support import buy, make_engine, run, sell


class FakeBatch:
    def __init__(self) -> None:
        self.values: list[bytes] = []

    def append(self, *, key: bytes, value: bytes, timestamp: None, headers: list) -> object:
        self.values.append(value)
        return object()


class FakeProducer:
    """Collects what each topic was sent; every send is acknowledged at once."""

    headers: list = []

    def __init__(self) -> None:
        self.sent: dict[str, list[dict]] = {}

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2, 3}

    def create_batch(self) -> FakeBatch:
        return FakeBatch()

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> asyncio.Future:
        self.sent.setdefault(topic, []).extend(orjson.loads(value) for value in batch.values)
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class FakeRedis:
    def __init__(self, values: dict[str, bytes]) -> None:
        self.values = values

    async def get(self, key: str) -> bytes | None:
        return self.values.get(key)


async def test_every_orders_event_follows_the_instruments_previous_one_across_batches() -> None:
    engine = make_engine(instrument="CEA")
    producer, heads, kept = FakeProducer(), {}, {}
    await send_events(producer, {"CEA": run(engine, sell("s1", 100, 5_000))}, kept, heads)
    await send_events(producer, {"CEA": run(engine, buy("b1", 40, 5_000), buy("b2", 60, 5_000))}, kept, heads)

    events = producer.sent[ORDERS_EVENTS.name]
    assert [e.get("follows", "") for e in events] == ["", *(e["event_id"] for e in events[:-1])]
    assert heads == {"CEA": events[-1]["event_id"]}
    assert all("follows" not in e for e in producer.sent[MARKET_DATA.name])
    assert [event_id for events in kept.values() for event_id, _ in events] == [e["event_id"] for e in events]


async def test_the_chain_goes_on_from_a_restored_snapshot_as_it_did_before() -> None:
    state = PartitionState("orders.commands", 0, engines={"CEA": make_engine(instrument="CEA")})
    await send_events(FakeProducer(), {"CEA": run(state.engines["CEA"], sell("s1", 100, 5_000))}, {}, state.heads)
    restored = await partition_state.load(FakeRedis(partition_state.capture(state)), "orders.commands", 0)
    after_restore, uninterrupted = FakeProducer(), FakeProducer()
    await send_events(after_restore, {"CEA": run(restored.engines["CEA"], buy("b1", 40, 5_000))}, {}, restored.heads)
    await send_events(uninterrupted, {"CEA": run(state.engines["CEA"], buy("b1", 40, 5_000))}, {}, state.heads)

    assert after_restore.sent == uninterrupted.sent
    assert after_restore.sent[ORDERS_EVENTS.name][0]["follows"] == "CEA:1"
