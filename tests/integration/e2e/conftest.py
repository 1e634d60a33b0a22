"""Each end-to-end test gets its own linked market on the session's running stack, through the HTTP API."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.e2e.market import LinkedMarket, operator_key


@pytest.fixture
async def market(running_stack) -> AsyncIterator[LinkedMarket]:
    settings = running_stack.settings
    key = await operator_key(settings.redis_url, f"ops-{secrets.token_hex(3)}")
    async with httpx.AsyncClient(base_url=settings.order_entry_url, timeout=10) as client:
        yield LinkedMarket(client=client, operator=key, redis_url=settings.redis_url)
