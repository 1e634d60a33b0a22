"""Band overrides (the price corridor's BAND action): listed for operators and auditors, shown beside the
corridors, cleared by operators with a command to matching, which owns them (``md:{instrument}:band-override``
and ``md:{instrument}:session-clip`` in ``shared.market_keys``)."""

from __future__ import annotations

import time

import orjson
import redis.asyncio as aioredis
from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.order_entry.admin_operations import Name
from services.order_entry.deps import Operator, OperatorOrAuditor, PortsDep
from services.order_entry.errors import ApiError, error_responses, not_found
from services.order_entry.schemas import Accepted
from shared import market_keys as mk
from shared.business_clock import business_now
from shared.kafka import publish
from shared.messages.order_commands import ClearBandOverride
from shared.money import from_minor
from shared.reference import Instrument
from shared.topics import ORDERS_COMMANDS

router = APIRouter(prefix="/v1/admin", tags=["admin: oversight"], responses=error_responses(401, 403, 404, 422, 429))


class BandOverrideView(BaseModel):
    """An instrument's band override: the range its band may not leave from the next session on (``low``,
    ``high``, None once cleared: every corridor's override since the last clear, intersected), and the range
    narrowing the current session's band (``in_force_*``)."""

    instrument: str
    currency: str
    low: str | None
    high: str | None
    reason: str = Field(default="", description="why: each override intersected, '; '-separated")
    pinned: bool = Field(default=False, description="two overrides had no price in common: the band is held at "
                                                    "one price, the breached corridor's limit")
    set_at: int | None = Field(default=None, description="business time (ms) matching recorded the override")
    in_force_low: str | None
    in_force_high: str | None


async def overrides_of(redis: aioredis.Redis, instruments: list[Instrument]) -> dict[str, BandOverrideView]:
    """The instruments with a band override set or in force, by instrument id."""
    if not instruments:
        return {}
    raw = await redis.mget([key for i in instruments for key in (mk.band_override(i.id), mk.session_clip(i.id))])
    found = {}
    for n, instrument in enumerate(instruments):
        override, clip = raw[2 * n], mk.parse_clip(raw[2 * n + 1])
        if not override and clip is None:
            continue
        parsed = orjson.loads(override) if override else {}
        ccy = instrument.currency
        in_force = clip or (None, None)
        found[instrument.id] = BandOverrideView(
            instrument=instrument.id, currency=ccy, low=_price(parsed.get("low"), ccy),
            high=_price(parsed.get("high"), ccy), reason=parsed.get("reason", ""),
            pinned=parsed.get("pinned", False), set_at=parsed.get("at"),
            in_force_low=_price(in_force[0], ccy), in_force_high=_price(in_force[1], ccy))
    return found


def _price(minor: int | None, currency: str) -> str | None:
    return None if minor is None else from_minor(minor, currency)


@router.get("/band-overrides", response_model=list[BandOverrideView])
async def list_overrides(_: OperatorOrAuditor, ports: PortsDep) -> list[BandOverrideView]:
    """Every instrument whose band a corridor narrows (or will narrow from its next session): the override in
    force is the intersection of every corridor's override set since the last clear."""
    found = await overrides_of(ports.ctx.redis, await ports.reference.instruments())
    return [found[key] for key in sorted(found)]


@router.delete("/instruments/{instrument_id}/band-override", response_model=Accepted, status_code=202)
async def clear_override(instrument_id: Name, _: Operator, ports: PortsDep) -> Accepted:
    """Lift the band override — all of it: every corridor's override of the instrument since the last clear.
    Matching records it at once, and the static band applies alone from the next session (the next reference
    price, e.g. the phase route's ``reference_price``)."""
    instrument = await ports.reference.instrument(instrument_id)
    if instrument is None:
        raise not_found("instrument", instrument_id)
    if not await ports.ctx.redis.get(mk.band_override(instrument_id)):
        raise ApiError(404, "BAND_OVERRIDE_NOT_FOUND", f"instrument {instrument_id!r} has no band override",
                       {"instrument": instrument_id})
    await publish(ports.ctx.producer, ORDERS_COMMANDS.name, instrument_id, ClearBandOverride(instrument=instrument_id),
                  event_id=f"band-clear:{instrument_id}:{time.time_ns()}",
                  occurred_at=await business_now(ports.ctx.redis), wait=True)
    return Accepted(detail={"instrument": instrument_id, "band_override": "CLEARED_FROM_NEXT_SESSION"})
