"""The matching service's outbox: batches whose events are sent but not yet known to be durable, made durable
in order by one background task so that matching the next batch never waits for the broker or Redis.

For each batch, in the order it was matched, the task waits for the broker's acks of its events, then keeps its
`orders.events` events in Redis until settlement has applied them (`shared.event_outbox`: what a restarted
broker forgot reaches settlement from there), then writes its book mirror (several waiting batches go as one
atomic Lua call), then commits the consumer offset. The outbox copy and the mirror go in one pipeline, one
round trip: Redis applies them in that order. So the mirror never shows an event the broker does not hold, and
never goes backwards; a crash between the two writes repeats events that settlement skips. Once a write fails,
every later batch is dropped unwritten and the failure is raised to the service, which rebuilds its partitions from
their snapshots (see `services.matching.service`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.matching import book_mirror
from shared import event_outbox, redis_scripts
from shared.topics import ORDERS_EVENTS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Written:
    """One matched batch: the delivery futures of its events, its mirror writes, the offset after it, and its
    `orders.events` events by partition."""

    tp: TopicPartition
    next_offset: int
    deliveries: Sequence[asyncio.Future]
    ops: book_mirror.Ops
    kept: Mapping[int, event_outbox.Events] = field(default_factory=dict)
    snapshot: Mapping[str, bytes] | None = None  # the partition's snapshot keys as of `next_offset`, if one is due


class Outbox:
    """Holds at most `max_batches` batches; `put` waits for room, `drain` for everything put so far."""

    def __init__(self, redis: aioredis.Redis, consumer: AIOKafkaConsumer, *, max_batches: int = 8) -> None:
        self._redis = redis
        self._consumer = consumer
        self._queue: asyncio.Queue[Written] = asyncio.Queue(max_batches)
        self._failure: BaseException | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop without writing what is still waiting (the snapshots cover only what was drained)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def put(self, written: Written) -> None:
        """Queue a batch; raises the failure of an earlier batch instead."""
        self._raise_failure()
        await self._queue.put(written)

    async def drain(self) -> None:
        """Wait until every batch put so far is acknowledged, mirrored and committed; raises a failure."""
        await self._queue.join()
        self._raise_failure()

    async def reset(self) -> None:
        """After a failure: wait until the dropped batches are gone and accept batches again."""
        await self._queue.join()
        self._failure = None

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            while not self._queue.empty():
                group.append(self._queue.get_nowait())
            try:
                if self._failure is None:
                    await self._write(group)
                else:
                    _drop(group)
            except asyncio.CancelledError:
                raise
            except BaseException as err:  # handed to the service, which rebuilds from the snapshots
                self._failure = err
                _drop(group)
            finally:
                for _ in group:
                    self._queue.task_done()

    async def _write(self, group: list[Written]) -> None:
        deliveries = [d for written in group for d in written.deliveries]
        for outcome in await asyncio.gather(*deliveries, return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome
        kept: dict[int, list[tuple[str, bytes]]] = {}
        for written in group:
            for partition, events in written.kept.items():
                kept.setdefault(partition, []).extend(events)
        ops = [op for written in group for op in written.ops]
        if kept or ops:
            def build(pipe) -> None:
                event_outbox.queue_append(pipe, ORDERS_EVENTS.name, kept)
                book_mirror.queue_apply(pipe, ops)

            await redis_scripts.execute(self._redis, build, book_mirror.SCRIPT)
        snapshots = {key: state for written in group if written.snapshot is not None
                     for key, state in written.snapshot.items()}
        if snapshots:  # after the mirror: a snapshot never covers a command whose effects are not yet durable
            await self._redis.mset(snapshots)
        offsets = {written.tp: written.next_offset for written in group}
        try:
            await self._consumer.commit(offsets)
        except Exception as err:  # recovery starts from the snapshot's offset, never from the committed one
            log.warning("could not commit %s (the next snapshot covers it): %s", offsets, err)


def _drop(group: list[Written]) -> None:
    for written in group:
        for delivery in written.deliveries:
            delivery.add_done_callback(_ignore_outcome)


def _ignore_outcome(delivery: asyncio.Future) -> None:
    if not delivery.cancelled():
        delivery.exception()
