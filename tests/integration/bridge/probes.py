"""Reading what the bridge published: a consumer assigned to every partition of some topics, from their end
(no group join, so it is listening as soon as it starts).

The embedded broker reports a partition's end as its last batch's first offset + 1, so seeking to the end can
land inside the last batch: records produced before the probe started (an earlier test's, about a trade with
the same id) are dropped by their timestamp."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.envelope import Envelope, decode
from shared.settings import Settings


class Probe:
    def __init__(self, consumer: AIOKafkaConsumer, *, since_ms: int) -> None:
        self._consumer = consumer
        self._since_ms = since_ms

    async def collect(self, wanted: Callable[[Envelope], bool], *, count: int, timeout: float = 15) -> list[Envelope]:
        """The first ``count`` envelopes published since the probe started that ``wanted`` accepts."""
        found: list[Envelope] = []
        async with asyncio.timeout(timeout):
            while len(found) < count:
                batches = await self._consumer.getmany(timeout_ms=100)
                found += [e for records in batches.values()
                          for e in (decode(r.value) for r in records if r.timestamp >= self._since_ms) if wanted(e)]
        return found


@asynccontextmanager
async def probe(settings: Settings, *topics: str) -> AsyncIterator[Probe]:
    since_ms = int(time.time() * 1000)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for topic in topics for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)
        yield Probe(consumer, since_ms=since_ms)
    finally:
        await consumer.stop()
