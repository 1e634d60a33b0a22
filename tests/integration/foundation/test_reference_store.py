"""The Redis adapter of the reference-data port keeps the port's contract (the in-memory fake runs the same suite
in tests/unit/shared/test_reference_data.py)."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from shared.reference_store import ReferenceStore
from tests.contracts.reference_data import ReferenceDataContract

pytestmark = pytest.mark.integration


class TestRedisReferenceStore(ReferenceDataContract):
    @pytest.fixture
    def reference(self, async_redis: aioredis.Redis) -> ReferenceStore:
        return ReferenceStore(async_redis)
