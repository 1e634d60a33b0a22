"""The Redis adapter of the ledger port (``AsyncLedger`` running post.lua) keeps the port's contract (the in-memory
fake runs the same suite in tests/unit/shared/test_ledger_fake.py)."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from shared.ledger import AsyncLedger
from tests.contracts.ledger import LedgerContract

pytestmark = pytest.mark.integration


class TestRedisLedger(LedgerContract):
    @pytest.fixture
    def empty_ledger(self, async_redis: aioredis.Redis) -> AsyncLedger:
        return AsyncLedger(async_redis)
