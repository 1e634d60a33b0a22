"""An in-process settlement service on the session Redis and broker, shared by a test module, and a reader
that collects everything it publishes. Tests isolate themselves with fresh accounts and instruments, and
publish as the service that produces each topic (matching on `orders.events`, the bridge on `bridge.results`),
with event ids `{instrument}:{seq}` that grow like matching's."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest_asyncio
import redis
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.settlement.service import SettlementService
from shared.envelope import Envelope, decode, encode
from shared.kafka import create_topics, make_consumer, make_producer, publish
from shared.ledger import AsyncLedger, Ledger
from shared.messages import envelope_for, payload_of
from shared.messages.vocabulary import Message
from shared.reference import Instrument
from shared.reference_store import ReferenceStore
from shared.runtime import ServiceContext
from shared.settings import Settings
from shared.topics import (
    BRIDGE_REQUESTS,
    BRIDGE_RESULTS,
    DEADLETTER,
    ORDERS_EVENTS,
    REGISTRY_TRANSFERS,
    SETTLEMENT_EVENTS,
)
from tests.integration.settlement.books import Books, open_registries
from tests.polling import eventually

WATCHED = (SETTLEMENT_EVENTS.name, BRIDGE_REQUESTS.name, DEADLETTER.name, REGISTRY_TRANSFERS.name)

#: Sequence numbers of the events tests publish without naming one: above any a test names itself.
_SEQ = itertools.count(1_000_000)


def next_event_id(instrument: str) -> str:
    return f"{instrument}:{next(_SEQ)}"


@dataclass
class Seen:
    topic: str
    envelope: Envelope
    message: Message | None


@dataclass
class Harness:
    settings: Settings
    redis: redis.Redis
    ledger: Ledger
    producer: AIOKafkaProducer  # stamped as matching's
    bridge_producer: AIOKafkaProducer
    seen: list[Seen] = field(default_factory=list)

    def books(self) -> Books:
        return Books(self.ledger)

    async def list_instrument(self, instrument: Instrument) -> None:
        client = aioredis.Redis.from_url(self.settings.redis_url)
        try:
            await ReferenceStore(client).put_instrument(instrument)
        finally:
            await client.aclose()

    async def publish(self, message: Message, *, topic: str = ORDERS_EVENTS.name, key: str | None = None,
                      event_id: str | None = None, occurred_at: int = 1_700_000_000_000, follows: str = "") -> None:
        instrument = getattr(message, "instrument", "x")
        producer = self.bridge_producer if topic == BRIDGE_RESULTS.name else self.producer
        if follows:  # as matching chains its events (`Envelope.follows`)
            envelope = envelope_for(message, event_id=event_id or next_event_id(instrument), occurred_at=occurred_at)
            await producer.send_and_wait(topic, encode(envelope.model_copy(update={"follows": follows})),
                                         key=(key or instrument).encode())
            return
        await publish(producer, topic, key or instrument, message, event_id=event_id or next_event_id(instrument),
                      occurred_at=occurred_at, wait=True)

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 15.0) -> object:
        return await eventually(predicate, timeout=timeout)

    def messages(self, topic: str, kind: type[Message], **match: object) -> list[Message]:
        return [s.message for s in self.seen if s.topic == topic and isinstance(s.message, kind)
                and all(getattr(s.message, k) == v for k, v in match.items())]


async def _collect(reader: AIOKafkaConsumer, seen: list[Seen]) -> None:
    while True:
        batches = await reader.getmany(timeout_ms=100)
        for records in batches.values():
            for record in records:
                envelope = decode(record.value)
                try:
                    message: Message | None = payload_of(envelope)
                except ValueError:
                    message = None
                seen.append(Seen(record.topic, envelope, message))


@pytest_asyncio.fixture(scope="module")
async def settlement(redis_server, kafka_server) -> AsyncIterator[Harness]:
    settings = Settings(kafka_host=kafka_server.host, kafka_port=kafka_server.port, redis_host=redis_server.host,
                        redis_port=redis_server.port)
    sync_client = redis.Redis.from_url(settings.redis_url)
    sync_client.flushdb()
    ledger = Ledger(sync_client)
    open_registries(ledger)
    await create_topics(settings)
    producer = make_producer(settings, client_id="settlement-test", service="matching")
    bridge_producer = make_producer(settings, client_id="settlement-test-bridge", service="bridge")
    own_producer = make_producer(settings, client_id="settlement-test-service", service="settlement")
    for started in (producer, bridge_producer, own_producer):
        await started.start()
    reader = make_consumer(settings, group_id=None, client_id="settlement-test-reader")
    await reader.start()
    partitions = [TopicPartition(topic, p) for topic in WATCHED for p in await producer.partitions_for(topic)]
    reader.assign(partitions)
    await reader.seek_to_end(*partitions)
    harness = Harness(settings, sync_client, ledger, producer, bridge_producer)
    collector = asyncio.create_task(_collect(reader, harness.seen))

    ctx = ServiceContext(name="settlement", instance=f"settlement-test-{uuid.uuid4().hex[:6]}", settings=settings,
                         redis=aioredis.Redis.from_url(settings.redis_url), producer=own_producer)
    service = SettlementService(ctx, ledger=AsyncLedger(ctx.redis), group_id=f"settlement-test-{uuid.uuid4().hex[:6]}")
    running = asyncio.create_task(service.run())
    try:
        yield harness
    finally:
        ctx.stop.set()
        await asyncio.wait_for(running, timeout=15)
        collector.cancel()
        await reader.stop()
        for started in (producer, bridge_producer, own_producer):
            await started.stop()
        await ctx.redis.aclose()
        sync_client.close()
