"""An oversight service in the test's process over its own broker and Redis, fed hand-made events.

The broker and Redis are private to the module (nothing else reads or writes their topics), so events can
carry the business times a scenario needs and every alert the service raises belongs to the scenario.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import redis.asyncio as aioredis

from carbonlink.servers import free_port, start_broker, start_redis, stop_pid
from services.oversight.config import OversightSettings
from services.oversight.detectors.surveillance import Context
from services.oversight.service import OversightService
from shared import oversight_keys as keys
from shared.kafka import create_topics, make_consumer, make_producer, publish
from shared.messages.operations import AlertRaised
from shared.messages.vocabulary import Message
from shared.runtime import ServiceContext
from shared.settings import Settings
from shared.topics import BY_NAME

#: Short windows so that scenarios need seconds of business time, not minutes.
CONFIG = OversightSettings(reference_refresh_s=0.1, close_window_ms=60_000, round_trip_window_ms=600_000)


@dataclass
class Servers:
    settings: Settings
    pids: list[int] = field(default_factory=list)


@asynccontextmanager
async def private_servers(base: Path) -> AsyncIterator[Servers]:
    redis_server = start_redis(host="127.0.0.1", port=free_port(), data_dir=base / "redis", log_path=base / "redis.log")
    broker = start_broker(host="127.0.0.1", port=free_port(), log_path=base / "broker.log")
    settings = Settings(var_dir=base, kafka_port=broker.port, redis_port=redis_server.port)
    try:
        await create_topics(settings)
        yield Servers(settings, [redis_server.pid, broker.pid])
    finally:
        stop_pid(broker.pid)
        stop_pid(redis_server.pid)


@dataclass
class Oversight:
    """A running oversight service and a producer to feed it."""

    settings: Settings
    redis: aioredis.Redis
    producer: object
    feeds: dict[str, object]
    ctx: ServiceContext | None = None
    service: OversightService | None = None
    task: asyncio.Task | None = None

    async def start(self) -> None:
        self.ctx = ServiceContext(name="oversight", instance=f"oversight-test-{uuid.uuid4().hex[:6]}",
                                  settings=self.settings, redis=self.redis, producer=self.producer)
        self.service = OversightService(self.ctx, CONFIG)
        self.task = asyncio.create_task(self.service.run())

    async def until_context(self, holds: Callable[[Context], bool]) -> None:
        """Until the service has reread reference data that ``holds`` accepts."""
        assert self.service is not None
        while not holds(self.service.watcher.surveillance.context):
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        assert self.ctx is not None and self.task is not None
        self.ctx.stop.set()
        await asyncio.wait_for(self.task, timeout=30)

    async def send(self, topic: str, key: str, message: Message, *, event_id: str, at: int) -> None:
        """Publish as the topic's producing service would (consumers refuse messages from anyone else)."""
        feed = self.feeds[BY_NAME[topic].producers[0]]
        await publish(feed, topic, key, message, event_id=event_id, occurred_at=at, wait=True)  # type: ignore[arg-type]

    async def alert(self, alert_id: str, *, timeout: float = 30.0) -> AlertRaised:
        """The recorded alert, once oversight raised it."""
        deadline = time.monotonic() + timeout
        while (raw := await self.redis.hget(keys.ALERTS, alert_id)) is None:
            assert time.monotonic() < deadline, f"no alert {alert_id}; raised: {await self.alert_ids()}"
            await asyncio.sleep(0.05)
        return AlertRaised.model_validate(orjson.loads(raw))

    async def alert_ids(self) -> list[str]:
        return sorted(k.decode() for k in await self.redis.hkeys(keys.ALERTS))


async def topic_messages(settings: Settings, topic: str) -> list[dict]:
    """Every envelope on ``topic`` so far, read from the beginning."""
    consumer = make_consumer(settings, topic, group_id=None, client_id=f"reader-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    try:
        found: list[dict] = []
        while batch := await consumer.getmany(timeout_ms=500):
            found += [orjson.loads(r.value) for records in batch.values() for r in records]
        return found
    finally:
        await consumer.stop()


@asynccontextmanager
async def running_oversight(settings: Settings) -> AsyncIterator[Oversight]:
    producer = make_producer(settings, client_id="oversight-test", service="oversight")
    feeds = {name: make_producer(settings, client_id=f"oversight-test-{name}", service=name)
             for name in ("matching", "settlement", "bridge")}
    for client in (producer, *feeds.values()):
        await client.start()
    redis = aioredis.Redis.from_url(settings.redis_url)
    service = Oversight(settings, redis, producer, feeds)
    await service.start()
    try:
        yield service
    finally:
        if not service.task.done():
            await service.stop()
        for client in (producer, *feeds.values()):
            await client.stop()
        await redis.aclose()
