"""The Redis adapter of the reference-data port keeps the port's contract (the in-memory fake runs the same suite
in tests/unit/shared/test_reference_data.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from shared.reference_store import ReferenceStore
from tests.contracts.reference_data import ReferenceDataContract

pytestmark = pytest.mark.integration


class TestRedisReferenceStore(ReferenceDataContract):
    @pytest.fixture
    async def reference(self, redis_url: str, redis_client: redis.Redis) -> AsyncIterator[ReferenceStore]:
        client = aioredis.Redis.from_url(redis_url)
        yield ReferenceStore(client)
        await client.aclose()
