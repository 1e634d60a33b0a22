"""The Redis adapter of the bridge's usage port keeps the port's contract (the in-memory fake runs the same suite
in tests/unit/bridge/test_usage_fake.py)."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from services.bridge.redis_usage import RedisUsageReader
from shared.ledger import AsyncLedger
from tests.contracts.bridge_usage import UsageReaderContract

pytestmark = pytest.mark.integration


class TestRedisUsageReader(UsageReaderContract):
    @pytest.fixture
    def empty_ledger(self, async_redis: aioredis.Redis) -> AsyncLedger:
        return AsyncLedger(async_redis)

    @pytest.fixture
    def usage(self, async_redis: aioredis.Redis) -> RedisUsageReader:
        return RedisUsageReader(async_redis)
