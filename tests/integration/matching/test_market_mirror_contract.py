"""The Redis adapter of the market-mirror port reads what matching's book mirror writes (the in-memory fake runs
the same suite in tests/unit/shared/test_market_mirror.py)."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from services.matching import book_mirror
from shared.redis_market_mirror import RedisMarketMirror
from tests.contracts.market_mirror import MarketMirrorContract, Write

pytestmark = pytest.mark.integration


class TestRedisMarketMirror(MarketMirrorContract):
    @pytest.fixture
    def mirror(self, async_redis: aioredis.Redis) -> RedisMarketMirror:
        return RedisMarketMirror(async_redis)

    @pytest.fixture
    def write(self, async_redis: aioredis.Redis) -> Write:
        async def write(ops: book_mirror.Ops) -> None:
            await book_mirror.apply(async_redis, ops)

        return write
