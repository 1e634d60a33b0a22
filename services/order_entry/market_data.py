"""Public market data from matching's mirror (the market-mirror port, ``shared.market_mirror``): instruments, book
depth, recent trades, candles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from services.order_entry.errors import error_responses
from services.order_entry.order_desk import OrderDesk
from services.order_entry.schemas import BookLevel, BookView, Candle, InstrumentView, TradeView
from shared import market_keys as mk
from shared.messages.vocabulary import Side
from shared.money import from_minor
from shared.reference import Instrument

router = APIRouter(prefix="/v1", tags=["market data"], responses=error_responses(404, 422, 429, 503))

InstrumentPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
INTERVALS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "1d": 86_400_000}


def instrument_view(instrument: Instrument, *, phase: str | None = None, reference: int | None = None) -> InstrumentView:
    ccy = instrument.currency
    ref = reference if reference is not None else instrument.reference_price
    return InstrumentView(
        id=instrument.id, registry=instrument.registry, currency=ccy, unit_asset=instrument.unit_asset,
        tick=from_minor(instrument.tick, ccy), lot=instrument.lot, min_quantity=instrument.min_quantity,
        max_quantity=instrument.max_quantity, band=instrument.band,
        reference_price=None if ref is None else from_minor(ref, ccy), phase=phase or instrument.phase,
        maker_bps=instrument.fees.maker_bps, taker_bps=instrument.fees.taker_bps,
    )


def _desk(request: Request) -> OrderDesk:
    return request.app.state.desk


@router.get("/instruments", response_model=list[InstrumentView])
async def instruments(request: Request) -> list[InstrumentView]:
    desk = _desk(request)
    out = []
    for instrument in await request.app.state.ports.reference.instruments():
        market = await desk.market(instrument.id)
        out.append(instrument_view(instrument, phase=market.phase, reference=market.reference))
    return out


@router.get("/markets/{instrument}/book", response_model=BookView)
async def book(instrument: InstrumentPath, request: Request,
               depth: Annotated[int, Query(ge=1, le=500)] = 10) -> BookView:
    """Aggregated price levels, best first."""
    market = await _desk(request).market(instrument)
    mirror = request.app.state.ports.market

    async def levels(side: Side) -> list[BookLevel]:
        return [BookLevel(price=from_minor(level.price, market.instrument.currency), quantity=level.quantity,
                          orders=level.orders) for level in await mirror.levels(instrument, side, depth=depth)]

    return BookView(instrument=instrument, phase=market.phase, bids=await levels(Side.BUY),
                    asks=await levels(Side.SELL))


async def _trades(request: Request, instrument: str, limit: int) -> tuple[str, list[dict]]:
    market = await _desk(request).market(instrument)
    return market.instrument.currency, await request.app.state.ports.market.recent_trades(instrument, limit=limit)


@router.get("/markets/{instrument}/trades", response_model=list[TradeView])
async def trades(instrument: InstrumentPath, request: Request,
                 limit: Annotated[int, Query(ge=1, le=mk.RECENT_TRADES)] = 100) -> list[TradeView]:
    """Recent trades, newest first."""
    currency, items = await _trades(request, instrument, limit)
    return [TradeView(trade_id=t["trade_id"], price=from_minor(int(t["price"]), currency), quantity=int(t["quantity"]),
                      aggressor_side=t.get("aggressor_side") or None, at=int(t.get("at", 0))) for t in items]


@router.get("/markets/{instrument}/ohlc", response_model=list[Candle])
async def ohlc(instrument: InstrumentPath, request: Request,
               interval: Annotated[str, Query(pattern="^(" + "|".join(INTERVALS) + ")$")] = "1m") -> list[Candle]:
    """Candles over the recent trades (oldest first)."""
    currency, items = await _trades(request, instrument, mk.RECENT_TRADES)
    return [Candle(start=c[0], open=from_minor(c[1], currency), high=from_minor(c[2], currency),
                   low=from_minor(c[3], currency), close=from_minor(c[4], currency), volume=c[5], trades=c[6])
            for c in candles(items, INTERVALS[interval])]


def candles(trades_newest_first: list[dict], interval_ms: int) -> list[tuple[int, int, int, int, int, int, int]]:
    """(start, open, high, low, close, volume, count) per interval, oldest first."""
    out: list[list[int]] = []
    for trade in reversed(trades_newest_first):
        price, qty, at = int(trade["price"]), int(trade["quantity"]), int(trade.get("at", 0))
        start = at - at % interval_ms
        if out and out[-1][0] == start:
            c = out[-1]
            c[2], c[3], c[4], c[5], c[6] = max(c[2], price), min(c[3], price), price, c[5] + qty, c[6] + 1
        else:
            out.append([start, price, price, price, price, qty, 1])
    return [tuple(c) for c in out]  # type: ignore[misc]
