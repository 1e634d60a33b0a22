"""Matching's events that a restarted broker forgot reach settlement from matching's outbox in Redis
(``shared.event_outbox``).

A partition of `orders.events` is caught up from the outbox — in order, and before anything more read from
Kafka for it is handled — when settlement is given the partition (a start, a rebalance, or the group rejoined
after a broker restart), when the partition's offsets go backwards (the topic was recreated), and when a batch
brought an event before one it follows (matching's produce of an earlier batch failed while a later batch's
succeeded: matching rebuilds from its snapshot and sends the lost events again, and its outbox gets them in
order). Such a partition stays due, and is caught up every `INTERVAL_S`, until the outbox closes the gap.
Settlement's marks make the events it already applied, from either source, no-ops. The same object trims from
the outbox the entries settlement has applied, at most every `INTERVAL_S`, on partitions that applied something
since the last trim; with nothing due and nothing applied it waits for the next batch and costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as aioredis
from aiokafka import ConsumerRecord

from shared import event_outbox
from shared.kafka import PRODUCER_HEADER, Delivery, parse
from shared.topics import ORDERS_EVENTS

log = logging.getLogger(__name__)

#: Applies a batch of `orders.events`; True when it held events back for a gap (see `OrderEvents.handle`).
Handler = Callable[[list[Delivery]], Awaitable[bool]]

#: Outbox entries read per step (an entry is one batch matching produced for the partition).
PAGE = 20
INTERVAL_S = 0.5


class EventCatchUp:
    def __init__(self, redis: aioredis.Redis, handle: Handler) -> None:
        self._redis = redis
        self._handle = handle
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._owned: set[int] = set()
        self._due: set[int] = set()
        self._to_trim: set[int] = set()
        self._work = asyncio.Event()  # something became due or was applied
        self._next_offset: dict[int, int] = {}

    def assigned(self, partitions: Iterable[int]) -> None:
        for partition in partitions:
            self._owned.add(partition)
            self._due.add(partition)
            self._to_trim.add(partition)
            self._next_offset.pop(partition, None)
        self._work.set()

    def revoked(self, partitions: Iterable[int]) -> None:
        for partition in partitions:
            self._owned.discard(partition)
            self._due.discard(partition)
            self._to_trim.discard(partition)

    async def handle(self, batch: list[Delivery]) -> None:
        """A batch read from Kafka for one partition: after the outbox's tail when that is due."""
        partition = batch[0].record.partition
        async with self._locks[partition]:
            expected = self._next_offset.get(partition)
            if expected is not None and batch[0].record.offset < expected:
                log.warning("%s[%d] went back from offset %d to %d: the topic was recreated, catching up from the "
                            "outbox first", ORDERS_EVENTS.name, partition, expected, batch[0].record.offset)
                self._due.add(partition)
            if partition in self._due:
                await self._catch_up(partition)
            if await self._handle(batch):
                self._due.add(partition)
            self._to_trim.add(partition)
            self._work.set()
            self._next_offset[partition] = batch[-1].record.offset + 1

    async def run(self, stop: asyncio.Event) -> None:
        """Catch up the partitions that are due even when Kafka brings nothing new; trim the outbox."""
        while not stop.is_set():
            self._work.clear()
            for partition in sorted(self._owned):
                try:
                    if partition in self._due:
                        async with self._locks[partition]:
                            if partition in self._due:
                                await self._catch_up(partition)
                    if partition in self._to_trim:
                        self._to_trim.discard(partition)
                        while await event_outbox.trim(self._redis, ORDERS_EVENTS.name, partition) > 0:
                            pass
                except asyncio.CancelledError:
                    raise
                except Exception as err:  # retried on the next round; the partition stays due
                    self._to_trim.add(partition)
                    log.error("catching up %s[%d] from the outbox failed: %s", ORDERS_EVENTS.name, partition, err)
            await _first(stop, INTERVAL_S)
            if not (self._due or self._to_trim):
                await _first(stop, None, self._work)

    async def _catch_up(self, partition: int) -> None:
        after = "-"
        caught = 0
        while True:
            page = await event_outbox.entries(self._redis, ORDERS_EVENTS.name, partition, after=after, count=PAGE)
            if not page:
                break
            deliveries: list[Delivery] = []
            for _, events in page:
                for _, raw in events:
                    parsed = parse(_record(partition, raw))
                    if isinstance(parsed, str):
                        log.error("an event in the outbox of %s[%d] does not parse: %s", ORDERS_EVENTS.name,
                                  partition, parsed)
                    else:
                        deliveries.append(parsed)
            if deliveries and await self._handle(deliveries):
                log.info("%s[%d]: events still missing from the outbox, catching up again later",
                         ORDERS_EVENTS.name, partition)
                return
            caught += len(deliveries)
            after = page[-1][0]
        self._due.discard(partition)
        if caught:
            self._to_trim.add(partition)
            log.info("%s[%d] caught up from the outbox (%d event(s) read)", ORDERS_EVENTS.name, partition, caught)


async def _first(stop: asyncio.Event, timeout: float | None, work: asyncio.Event | None = None) -> None:
    """Wait until `stop`, `work` (if given) or `timeout` (if given), whichever comes first."""
    waits = {asyncio.ensure_future(event.wait()) for event in (stop, work) if event is not None}
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def _record(partition: int, raw: bytes) -> ConsumerRecord:
    """An outbox event as if read from Kafka (offset -1: it has none in the topic's current incarnation)."""
    return ConsumerRecord(topic=ORDERS_EVENTS.name, partition=partition, offset=-1, timestamp=0, timestamp_type=0,
                          key=None, value=raw, checksum=None, serialized_key_size=-1,
                          serialized_value_size=len(raw), headers=((PRODUCER_HEADER, b"matching"),))
