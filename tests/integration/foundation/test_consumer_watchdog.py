"""A group consumer that has not rejoined its group after its topic was recreated is replaced by a new one, which
consumes; the service is not ready meanwhile (real broker and Redis; the recreation is what `stack up` records)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis.asyncio as aioredis

from shared import topic_incarnation
from shared.consumer_watchdog import WatchedConsumer
from shared.kafka import create_topics, make_consumer, make_producer
from shared.settings import Settings
from shared.topics import BRIDGE_COMMANDS

pytestmark = pytest.mark.integration


class Health:
    def __init__(self) -> None:
        self.kafka_ok = True
        self.ready = False
        self.reasons: list[str] = []

    def mark_ready(self) -> None:
        self.ready = True

    def mark_not_ready(self, reason: str) -> None:
        self.ready = False
        self.reasons.append(reason)


async def until(predicate, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(0.05)


async def test_a_consumer_that_does_not_rejoin_after_its_topic_was_recreated_is_replaced_and_consumes(
        kafka_server, redis_url: str) -> None:
    settings = Settings(kafka_host=kafka_server.host, kafka_port=kafka_server.port)
    await create_topics(settings)
    redis = aioredis.Redis.from_url(redis_url)
    producer = make_producer(settings, client_id="watchdog-test", service="order_entry")
    await producer.start()
    group, tag = f"watchdog-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex.encode()
    health, stop, seen = Health(), asyncio.Event(), []
    consumer = WatchedConsumer(lambda: make_consumer(settings, group_id=group, client_id=group), redis, health,
                               join_s=3.0)
    consumer.subscribe([BRIDGE_COMMANDS.name])

    async def fetch_loop() -> None:
        while not stop.is_set():
            for records in (await consumer.getmany(timeout_ms=100)).values():
                seen.extend(r.value for r in records if r.value == tag)

    try:
        assert await consumer.start(stop)
        supervised = asyncio.create_task(consumer.supervise(fetch_loop, stop))
        await until(lambda: health.ready)
        # What `stack up` records after a broker restart; this broker did not restart, so the group is never
        # rejoined: the consumer stays a member of a group the watchdog must take for lost. (The watchdog takes
        # the first tokens it reads after a join for the ones the join saw: new tokens until it noticed one.)
        deadline = time.monotonic() + 30
        while health.ready:
            assert time.monotonic() < deadline, "the recreated topic went unnoticed"
            await redis.set(topic_incarnation.incarnation_key(BRIDGE_COMMANDS.name), uuid.uuid4().hex)
            await asyncio.sleep(0.5)
        assert "recreated" in health.reasons[-1]
        await until(lambda: consumer.replaced == 1)
        await until(lambda: health.ready)
        await producer.send_and_wait(BRIDGE_COMMANDS.name, tag, key=b"X")
        await until(lambda: seen == [tag])
        assert consumer.replaced == 1
        stop.set()
        await asyncio.wait_for(supervised, timeout=10)
    finally:
        stop.set()
        await consumer.stop()
        await producer.stop()
        await redis.aclose()
