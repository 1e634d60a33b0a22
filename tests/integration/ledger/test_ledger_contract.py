"""The Redis adapter of the ledger port (``AsyncLedger`` running post.lua) keeps the port's contract (the in-memory
fake runs the same suite in tests/unit/shared/test_ledger_fake.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from shared.ledger import AsyncLedger
from tests.contracts.ledger import LedgerContract

pytestmark = pytest.mark.integration


class TestRedisLedger(LedgerContract):
    @pytest.fixture
    async def empty_ledger(self, redis_url: str, redis_client: redis.Redis) -> AsyncIterator[AsyncLedger]:
        client = aioredis.Redis.from_url(redis_url)
        yield AsyncLedger(client)
        await client.aclose()
