"""The matching outbox makes batches durable in the order they were matched, and stops at the first failure."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiokafka import TopicPartition

from services.matching.outbox import Outbox, Written

TP = TopicPartition("orders.commands", 0)


class FakeRedis:
    """Records each mirror write (the list of ops of one Lua call) when its pipeline runs; fails while `down`."""

    def __init__(self) -> None:
        self.calls: list[list] = []
        self.down = False

    def pipeline(self, *, transaction: bool) -> FakePipeline:
        return FakePipeline(self)


class FakePipeline:
    def __init__(self, redis: FakeRedis) -> None:
        self.redis = redis
        self.queued: list[list] = []

    def evalsha(self, sha: str, numkeys: int, ops: bytes) -> None:
        self.queued.append(orjson.loads(ops))

    async def execute(self) -> list:
        await asyncio.sleep(0)
        if self.redis.down:
            raise ConnectionError("redis away")
        self.redis.calls.extend(self.queued)
        return [0] * len(self.queued)


class FakeConsumer:
    def __init__(self) -> None:
        self.committed: list[dict] = []

    async def commit(self, offsets: dict) -> None:
        self.committed.append(dict(offsets))


def acked() -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


def batch(n: int, *, delivery: asyncio.Future | None = None) -> Written:
    return Written(TP, n + 1, [delivery or acked()], [["S", "seq", str(n)]])


async def test_batches_are_mirrored_in_matching_order_and_their_offsets_committed() -> None:
    redis, consumer = FakeRedis(), FakeConsumer()
    outbox = Outbox(redis, consumer, max_batches=3)
    outbox.start()
    for n in range(10):
        await outbox.put(batch(n))
    await outbox.drain()
    await outbox.stop()
    assert [op[2] for call in redis.calls for op in call] == [str(n) for n in range(10)]
    assert consumer.committed[-1] == {TP: 10}


async def test_a_batch_is_mirrored_only_after_the_broker_acknowledged_its_events() -> None:
    redis, consumer = FakeRedis(), FakeConsumer()
    outbox = Outbox(redis, consumer)
    outbox.start()
    pending = asyncio.get_running_loop().create_future()
    await outbox.put(batch(0, delivery=pending))
    await asyncio.sleep(0.01)
    assert redis.calls == []
    pending.set_result(None)
    await outbox.drain()
    await outbox.stop()
    assert redis.calls == [[["S", "seq", "0"]]]


async def test_after_a_failed_write_later_batches_are_dropped_and_the_failure_is_raised_until_reset() -> None:
    redis, consumer = FakeRedis(), FakeConsumer()
    outbox = Outbox(redis, consumer)
    outbox.start()
    redis.down = True
    await outbox.put(batch(0))
    with pytest.raises(ConnectionError):
        await outbox.drain()
    redis.down = False
    with pytest.raises(ConnectionError):
        await outbox.put(batch(1))
    await outbox.reset()
    await outbox.put(batch(2))
    await outbox.drain()
    await outbox.stop()
    assert redis.calls == [[["S", "seq", "2"]]]


async def test_a_refused_delivery_fails_the_batch_before_anything_is_mirrored() -> None:
    redis, consumer = FakeRedis(), FakeConsumer()
    outbox = Outbox(redis, consumer)
    outbox.start()
    refused = asyncio.get_running_loop().create_future()
    refused.set_exception(TimeoutError("no ack"))
    await outbox.put(batch(0, delivery=refused))
    with pytest.raises(TimeoutError):
        await outbox.drain()
    await outbox.stop()
    assert redis.calls == [] and consumer.committed == []


def test_a_busy_batch_is_mirrored_in_chunks_that_each_end_with_the_sequence_number() -> None:
    from services.matching import book_mirror, core

    events = [core.events.build(core.BookDelta, ("CEA", seq, 0, "BUY", 100 + seq, 5, 1)) for seq in range(1, 2001)]
    ops: book_mirror.Ops = []
    assert book_mirror.mirror_ops(ops, "CEA", events, after_seq=10) == 2000
    parts = book_mirror.chunks(ops)
    assert len(parts) >= 4 and all(len(part) <= book_mirror.CHUNK_OPS + 1 for part in parts)
    assert [op for part in parts for op in part] == ops
    assert all(part[-1][0] == "M" for part in parts) and parts[-1][-1][2] == "2000"
