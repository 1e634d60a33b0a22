"""Public oversight reads under /v1 (no key): the published positions (accounts holding more of a unit class
than their registry's threshold) and each linkage corridor's latest readings (oversight writes both), with the
band override a BAND corridor set on each market (matching's)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from services.order_entry.band_overrides import BandOverrideView, overrides_of
from services.order_entry.deps import PortsDep
from services.order_entry.errors import error_responses, not_found
from shared import oversight_keys as keys
from shared.corridor import Corridor
from shared.redis_text import text

router = APIRouter(prefix="/v1", tags=["market oversight"], responses=error_responses(404, 422))


class PositionView(BaseModel):
    account: str
    asset: str
    holding: int


class CorridorReading(BaseModel):
    """A market's last trade price, converted into the corridor's reference currency and tonne (minor units)."""

    instrument: str
    price: int
    currency: str
    reference_price: str
    reference_bid: str | None
    reference_ask: str | None
    breach: str | None
    at: int
    band_override: BandOverrideView | None = None


class CorridorView(BaseModel):
    link_id: str
    corridor: Corridor
    readings: list[CorridorReading]


@router.get("/positions", response_model=list[PositionView])
async def positions(
    ports: PortsDep,
    asset: Annotated[str | None, Query(max_length=80, description="one unit class, e.g. U:CN-BJ:ALLOWANCE:2025")] = None,
) -> list[PositionView]:
    """Accounts whose holding of a unit class exceeds their registry's publication threshold, largest first."""
    redis = ports.ctx.redis
    assets = [asset] if asset else sorted(text(a) for a in await redis.smembers(keys.POSITION_ASSETS))
    found = [PositionView(account=text(account), asset=a, holding=int(held))
             for a in assets for account, held in (await redis.hgetall(keys.positions(a))).items()]
    return sorted(found, key=lambda p: (p.asset, -p.holding, p.account))


async def _corridor_view(ports: PortsDep, link_id: str, corridor: Corridor) -> CorridorView:
    raw = await ports.ctx.redis.hgetall(keys.corridor_readings(link_id))
    readings = [CorridorReading.model_validate(orjson.loads(value)) for value in raw.values()]
    markets = [i for i in await ports.reference.instruments() if i.id in {r.instrument for r in readings}]
    overrides = await overrides_of(ports.ctx.redis, markets)
    readings = [r.model_copy(update={"band_override": overrides.get(r.instrument)}) for r in readings]
    return CorridorView(link_id=link_id, corridor=corridor, readings=sorted(readings, key=lambda r: r.instrument))


@router.get("/corridors", response_model=list[CorridorView])
async def corridors(ports: PortsDep) -> list[CorridorView]:
    """Every linkage agreement's price corridor with each linked market's latest converted price."""
    return [await _corridor_view(ports, link.id, link.corridor) for link in await ports.reference.links()
            if link.corridor is not None]


@router.get("/links/{link_id}/corridor", response_model=CorridorView)
async def corridor(link_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")],
                   ports: PortsDep) -> CorridorView:
    """The link's price corridor and each linked market's latest converted price against it."""
    link = await ports.reference.link(link_id)
    if link is None or link.corridor is None:
        raise not_found("corridor", link_id)
    return await _corridor_view(ports, link_id, link.corridor)
