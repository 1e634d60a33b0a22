"""``GET /v1/markets/summary``: one line per instrument for the overview page — phase, reference price, band
limits, last price, change and volume over the recent trades — computed in one request so the first paint
needs a single round trip."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.order_entry.errors import error_responses
from shared import market_keys as mk
from shared.bands import band_limits, narrow
from shared.money import from_minor, minor_digits, parse_fraction

router = APIRouter(prefix="/v1", tags=["market data"], responses=error_responses(503))


class MarketLine(BaseModel):
    """Prices are decimal strings in the instrument's currency."""

    id: str
    registry: str
    currency: str
    minor_digits: int
    phase: str
    reference_price: str | None
    band_low: str | None
    band_high: str | None
    last_price: str | None
    last_at: int | None = Field(description="business time of the last trade, ms")
    change: str | None = Field(description="last price − reference price")
    change_bps: int | None = Field(description="change in basis points of the reference price, rounded toward 0")
    volume: int = Field(description="tonnes traded over the recent trades kept (up to 1000)")
    trades: int


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of one market in minor units."""

    last: int | None
    last_at: int | None
    change: int | None
    change_bps: int | None
    volume: int
    trades: int
    band: tuple[int, int] | None


def summarise(*, reference: int | None, band: Fraction | None, trades_newest_first: list[dict],
              clip: tuple[int, int] | None = None) -> Summary:
    """Last price, change against the reference, volume, and the band (the static band narrowed by the session's
    band override, as matching computes it)."""
    last = int(trades_newest_first[0]["price"]) if trades_newest_first else None
    last_at = int(trades_newest_first[0].get("at", 0)) if trades_newest_first else None
    change = None if last is None or reference is None else last - reference
    change_bps = None if change is None or not reference else int(Fraction(change * 10_000, reference))
    return Summary(last=last, last_at=last_at, change=change, change_bps=change_bps,
                   volume=sum(int(t["quantity"]) for t in trades_newest_first), trades=len(trades_newest_first),
                   band=narrow(band_limits(band, reference), clip))


@router.get("/markets/summary", response_model=list[MarketLine])
async def summary(request: Request) -> list[MarketLine]:
    """Every instrument with its live phase, band limits, last price, change and recent volume."""
    ports, desk = request.app.state.ports, request.app.state.desk
    instruments = await ports.reference.instruments()
    pipe = ports.ctx.redis.pipeline(transaction=False)
    for instrument in instruments:
        pipe.lrange(mk.recent_trades(instrument.id), 0, mk.RECENT_TRADES - 1)
    recent = await pipe.execute() if instruments else []
    out = []
    for instrument, raw in zip(instruments, recent):
        market = await desk.market(instrument.id)
        ccy = instrument.currency
        figures = summarise(reference=market.reference,
                            band=None if instrument.band is None else parse_fraction(instrument.band),
                            trades_newest_first=[orjson.loads(item) for item in raw], clip=market.clip)
        band_low, band_high = figures.band or (None, None)
        out.append(MarketLine(
            id=instrument.id, registry=instrument.registry, currency=ccy, minor_digits=minor_digits(ccy),
            phase=market.phase, reference_price=_price(market.reference, ccy), band_low=_price(band_low, ccy),
            band_high=_price(band_high, ccy), last_price=_price(figures.last, ccy), last_at=figures.last_at,
            change=_price(figures.change, ccy),
            change_bps=figures.change_bps, volume=figures.volume, trades=figures.trades))
    return out


def _price(minor: int | None, currency: str) -> str | None:
    return None if minor is None else from_minor(minor, currency)
