"""The Redis adapter of the bridge's usage port keeps the port's contract (the in-memory fake runs the same suite
in tests/unit/bridge/test_usage_fake.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from services.bridge.redis_usage import RedisUsageReader
from shared.ledger import AsyncLedger
from tests.contracts.bridge_usage import UsageReaderContract

pytestmark = pytest.mark.integration


class TestRedisUsageReader(UsageReaderContract):
    @pytest.fixture
    async def client(self, redis_url: str, redis_client: redis.Redis) -> AsyncIterator[aioredis.Redis]:
        client = aioredis.Redis.from_url(redis_url)
        yield client
        await client.aclose()

    @pytest.fixture
    def empty_ledger(self, client: aioredis.Redis) -> AsyncLedger:
        return AsyncLedger(client)

    @pytest.fixture
    def usage(self, client: aioredis.Redis) -> RedisUsageReader:
        return RedisUsageReader(client)
