"""The Redis adapter of the bridge's usage port (``usage.UsageReader``): every read a delivery is judged against
(``usage.reads``) in one pipeline round trip, decoded by ``usage.delivery_state``."""

from __future__ import annotations

import redis.asyncio as aioredis

from services.bridge import rules
from services.bridge.usage import DeliveryState, delivery_state, reads


class RedisUsageReader:
    """``UsageReader`` on one redis.asyncio client."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def read_state(self, *, request: rules.TransferRequest, agreement: rules.LinkageAgreement | None,
                         period: int) -> DeliveryState:
        pipe = self._client.pipeline(transaction=False)
        for command, key, fields in reads(request, agreement, period):
            getattr(pipe, command)(key, *fields)
        return delivery_state(request, agreement, await pipe.execute())
