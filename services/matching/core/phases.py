"""Trading phases, the business clock, the reference price and the band override: the engine's non-order commands.

Leaving an auction for CONTINUOUS or CLOSED uncrosses the book, and so does entering CONTINUOUS with a
crossed book; entering CLOSED expires DAY orders; resuming from HALTED restarts the circuit breaker's memory
at the last trade price. GTD orders expire when an AdvanceClock reaches their `expire_at`. A band override (set or cleared) changes no
band at once: the next reference price, a session's open, computes the band with the override then in force.
Overrides set one after another intersect; a clear lifts them all.
"""

from __future__ import annotations

from heapq import heappop

from services.matching.core import reasons as r
from services.matching.core.auction import uncross
from services.matching.core.commands import (AdvanceClock, ChangePhase, ClearBandOverride, SetBandOverride,
                                             SetReferencePrice)
from services.matching.core.events import BandOverrideChanged, Event, ReferencePriceChanged
from services.matching.core.validation import price_reason
from services.matching.core.vocabulary import AUCTIONS, CLOSED, CONTINUOUS, DAY, HALTED, PHASES, TRANSITIONS
from shared.bands import intersect

PINS = (None, "LOW", "HIGH")


def change_phase(engine, cmd: ChangePhase) -> list[Event]:
    new, old, ts = cmd.phase, engine.phase, cmd.ts
    if type(new) is not str or new not in PHASES:
        return [engine.command_rejected("CHANGE_PHASE", None, r.INVALID_PHASE, ts)]
    if new not in TRANSITIONS[old]:
        return [engine.command_rejected("CHANGE_PHASE", None, r.INVALID_PHASE_TRANSITION, ts)]
    if cmd.reference_price is not None and price_reason(cmd.reference_price, engine.rules, None) is not None:
        return [engine.command_rejected("CHANGE_PHASE", None, r.INVALID_PRICE, ts)]
    out: list[Event] = []
    touched: dict[tuple[str, int], None] = {}
    if cmd.reference_price is not None:
        _apply_reference_price(engine, cmd.reference_price, ts, out)
    if new == CONTINUOUS or (old in AUCTIONS and new == CLOSED):
        uncross(engine, ts, out, touched)
    if old == HALTED and engine.breaker is not None:
        engine.breaker.reset(engine.last_trade_price)
    engine.emit_phase(new, "", ts, out)
    if new == CLOSED:
        for order in list(engine.orders.values()):
            if order.time_in_force == DAY:
                touched[(order.side, order.price)] = None
                engine.expire(order, ts, out)
    engine.emit_deltas(ts, out, touched)
    return out


def advance_clock(engine, cmd: AdvanceClock) -> list[Event]:
    now, heap = cmd.ts, engine.expiries
    out: list[Event] = []
    touched: dict[tuple[str, int], None] = {}
    while heap and heap[0][0] <= now:
        order = heappop(heap)[2]
        if order.remaining and engine.orders.get(order.order_id) is order:
            touched[(order.side, order.price)] = None
            engine.expire(order, now, out)
    engine.emit_deltas(now, out, touched)
    return out


def set_reference_price(engine, cmd: SetReferencePrice) -> list[Event]:
    if price_reason(cmd.price, engine.rules, None) is not None:
        return [engine.command_rejected("SET_REFERENCE_PRICE", None, r.INVALID_PRICE, cmd.ts)]
    out: list[Event] = []
    _apply_reference_price(engine, cmd.price, cmd.ts, out)
    return out


def set_band_override(engine, cmd: SetBandOverride) -> list[Event]:
    """The override joins the one held (their intersection): a second corridor narrows, never replaces."""
    if (price_reason(cmd.low, engine.rules, None) is not None or price_reason(cmd.high, engine.rules, None) is not None
            or cmd.low > cmd.high or type(cmd.reason) is not str or cmd.pin not in PINS):
        return [engine.command_rejected("SET_BAND_OVERRIDE", None, r.INVALID_PRICE, cmd.ts)]
    (low, high), pinned = intersect(engine.band_override, (cmd.low, cmd.high), pin=cmd.pin)
    reasons = engine.band_reason.split("; ") if engine.band_reason else []
    if pinned:
        reasons.append(f"{cmd.reason or 'an override'} has no price in common with the override held: pinned at {low}")
    elif cmd.reason and cmd.reason not in reasons:
        reasons.append(cmd.reason)
    engine.band_override, engine.band_reason = (low, high), "; ".join(reasons)
    engine.band_pinned = engine.band_pinned or pinned
    engine.seq += 1
    return [BandOverrideChanged(engine.instrument, engine.seq, cmd.ts, low, high, engine.band_reason,
                                engine.band_pinned)]


def clear_band_override(engine, cmd: ClearBandOverride) -> list[Event]:
    """Every override set since the last clear is lifted at once."""
    engine.band_override, engine.band_reason, engine.band_pinned = None, "", False
    engine.seq += 1
    return [BandOverrideChanged(engine.instrument, engine.seq, cmd.ts, None, None, "", False)]


def _apply_reference_price(engine, price: int, ts: int, out: list[Event]) -> None:
    engine.reference_price = price
    engine.session_clip = engine.band_override
    engine.apply_band()
    clip = engine.session_clip or (None, None)
    engine.seq += 1
    out.append(ReferencePriceChanged(engine.instrument, engine.seq, ts, price, *clip))
