"""The Redis adapter of the market-mirror port reads what matching's book mirror writes (the in-memory fake runs
the same suite in tests/unit/shared/test_market_mirror.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from services.matching import book_mirror
from shared.redis_market_mirror import RedisMarketMirror
from tests.contracts.market_mirror import MarketMirrorContract, Write

pytestmark = pytest.mark.integration


class TestRedisMarketMirror(MarketMirrorContract):
    @pytest.fixture
    async def client(self, redis_url: str, redis_client: redis.Redis) -> AsyncIterator[aioredis.Redis]:
        client = aioredis.Redis.from_url(redis_url)
        yield client
        await client.aclose()

    @pytest.fixture
    def mirror(self, client: aioredis.Redis) -> RedisMarketMirror:
        return RedisMarketMirror(client)

    @pytest.fixture
    def write(self, client: aioredis.Redis) -> Write:
        async def write(ops: book_mirror.Ops) -> None:
            await book_mirror.apply(client, ops)

        return write
