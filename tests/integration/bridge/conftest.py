"""Fixtures: the bridge on the session Redis and broker, with the test books open and the link stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.bridge.decisions import Bridge
from services.bridge.redis_usage import RedisUsageReader
from shared.kafka import create_topics, make_producer
from shared.ledger import AsyncLedger, Ledger
from shared.reference_store import ReferenceStore
from shared.settings import Settings
from tests.integration.bridge.books import INSTRUMENT, link, open_books


@pytest.fixture(scope="session")
def settings(kafka_server, redis_server) -> Settings:
    return Settings(kafka_host=kafka_server.host, kafka_port=kafka_server.port, redis_host=redis_server.host,
                    redis_port=redis_server.port)


@pytest.fixture(scope="session")
async def producer(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    await create_topics(settings)
    started = make_producer(settings, client_id="bridge-tests", service="settlement")
    await started.start()
    yield started
    await started.stop()


@pytest.fixture
def ledger(redis_client: redis.Redis) -> Ledger:
    books = Ledger(redis_client)
    open_books(books, buyers=3)
    return books


@pytest.fixture
async def aredis(redis_url: str, ledger: Ledger) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    store = ReferenceStore(client)
    await store.put_instrument(INSTRUMENT)
    await store.put_link(link())
    yield client
    await client.aclose()


@pytest.fixture
def bridge(aredis: aioredis.Redis, producer: AIOKafkaProducer) -> Bridge:
    return Bridge(aredis, producer, ledger=AsyncLedger(aredis), usage=RedisUsageReader(aredis))
