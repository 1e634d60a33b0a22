"""Requests waiting for their link's next settlement window: a sorted set by retry time, and the requests."""

from __future__ import annotations

import redis.asyncio as aioredis

from services.bridge import bridge_keys as keys
from shared.ledger.views import text
from shared.messages.post_trade import DeliveryRequested


async def park(client: aioredis.Redis, request: DeliveryRequested, *, retry_at: int) -> None:
    """Keep the request until ``retry_at`` (parking it again only moves its retry time)."""
    pipe = client.pipeline(transaction=True)
    pipe.hset(keys.PENDING_REQUESTS, request.trade_id, request.model_dump_json())
    pipe.zadd(keys.PENDING, {request.trade_id: retry_at})
    await pipe.execute()


async def due(client: aioredis.Redis, *, now: int, limit: int = 500) -> list[tuple[DeliveryRequested, int]]:
    """Parked requests whose retry time has come, with that time, earliest first."""
    entries = await client.zrangebyscore(keys.PENDING, "-inf", now, start=0, num=limit, withscores=True)
    return await _with_requests(client, entries)


async def parked(client: aioredis.Redis) -> list[tuple[DeliveryRequested, int]]:
    """Every parked request with its retry time."""
    return await _with_requests(client, await client.zrange(keys.PENDING, 0, -1, withscores=True))


async def is_parked(client: aioredis.Redis, trade_id: str) -> bool:
    return bool(await client.hexists(keys.PENDING_REQUESTS, trade_id))


async def unpark(client: aioredis.Redis, trade_id: str) -> None:
    pipe = client.pipeline(transaction=True)
    pipe.zrem(keys.PENDING, trade_id)
    pipe.hdel(keys.PENDING_REQUESTS, trade_id)
    await pipe.execute()


async def _with_requests(client: aioredis.Redis, entries: list) -> list[tuple[DeliveryRequested, int]]:
    if not entries:
        return []
    raws = await client.hmget(keys.PENDING_REQUESTS, [text(member) for member, _ in entries])
    return [
        (DeliveryRequested.model_validate_json(raw), int(score))
        for (_, score), raw in zip(entries, raws)
        if raw is not None
    ]
