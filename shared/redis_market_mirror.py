"""The Redis adapter of the market-mirror port (``shared.market_mirror``): reads the keys matching's book mirror
writes (``shared.market_keys``) through one redis.asyncio client."""

from __future__ import annotations

import orjson
import redis.asyncio as aioredis

from shared import market_keys as mk
from shared.market_mirror import Level, MarketState, best_first, parse_level
from shared.redis_text import text


class RedisMarketMirror:
    """``MarketMirror`` on Redis."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def market_state(self, instrument: str) -> MarketState:
        phase, reference, clip = await self._client.mget(mk.phase(instrument), mk.reference_price(instrument),
                                                         mk.session_clip(instrument))
        return MarketState(phase=text(phase) if phase else None, reference=int(reference) if reference else None,
                           clip=mk.parse_clip(clip))

    async def levels(self, instrument: str, side: str, *, depth: int) -> list[Level]:
        raw = await self._client.hgetall(mk.levels(instrument, side))
        return best_first([parse_level(text(price), text(value)) for price, value in raw.items()], side, depth)

    async def recent_trades(self, instrument: str, *, limit: int) -> list[dict[str, object]]:
        return [orjson.loads(item) for item in await self._client.lrange(mk.recent_trades(instrument), 0, limit - 1)]
