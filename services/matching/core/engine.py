"""MatchingEngine: one instrument's book, phases and rules; `handle(command)` returns the events it caused.

Deterministic: no clock, no randomness, no I/O. Every event gets the next per-instrument sequence number;
trades also get the next trade sequence number (trade id `"{instrument}:T{trade_seq}"`).

Phase behaviour: new orders and amends are accepted in PRE_OPEN, the auctions and CONTINUOUS (MARKET, IOC
and FOK only in CONTINUOUS); cancels and mass cancels in every phase. Only CONTINUOUS matches on arrival
(`continuous.py`); the call phases collect and the book uncrosses on phase changes (`phases.py`,
`auction.py`). Self-trade prevention (the incoming order's mode) and the circuit breaker apply to
continuous matching only; an order's minimum fill to every fill (`min_fill.py`). Cancels, mass cancels and
amends are in `order_changes.py`.

The `rest`, `emit_*`, `expire` and `command_rejected` methods are for the core's own modules: they rest an
order, or number and append events. Fields the core passes on unchecked (a command's `ts`, a mass cancel's
`reason`) are typed `Any`/`object`, and commands `Any`: the compiled build (`selection.py`) checks declared types at
run time, and must answer a malformed command exactly as this one does.

Commands sent again: order entry publishes a command until it sees its outcome, so one may arrive twice (after
a broker restart, or when the first outcome was not seen in time). Each is decided once, and what the engine
remembers for that is bounded by what the command can still change:
- a new order: its id is in `known_order_ids` (order ids are never reused);
- an amend: its `command_id` is kept on the order it amended (accepted or rejected) for as long as the order
  lives, because a repeat after fills would reopen quantity, or undo a later amend. Once the order has ended, a
  repeat finds no order and is rejected as unknown, changing nothing, so its id goes with the order;
- a cancel needs no id: it ends its order, so a repeat is rejected as unknown and changes nothing;
- a mass cancel touches orders by account or registry, including ones placed after it, so it has no order to
  keep its id on: the ids of the last `MASS_CANCEL_MEMORY` are kept. Order entry publishes a mass cancel again
  only until the broker acknowledged it (seconds), while dozens of mass cancels come between two of one
  instrument only in a day of incidents.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import Any

from services.matching.core import order_changes, phases
from services.matching.core import reasons as r
from services.matching.core import snapshot as snap
from services.matching.core.book import Book, Level, Order
from services.matching.core.breaker import BreakerWindow
from services.matching.core.commands import (AdvanceClock, AmendOrder, CancelOrder, ChangePhase, ClearBandOverride,
                                             MassCancel, SetBandOverride, SetReferencePrice, SubmitOrder)
from services.matching.core.continuous import Touched, fillable, take
from services.matching.core.events import (BookDelta, CommandRejected, Event, OrderAccepted, OrderCancelled,
                                           OrderExpired, OrderRejected, PhaseChanged, build)
from services.matching.core.instrument import InstrumentRules
from services.matching.core.order_changes import amend, cancel
from services.matching.core.validation import ENTRY_KINDS, kind_of, price_reason, quantity_reason, submit_reason
from services.matching.core.vocabulary import BUY, CLOSED, CONTINUOUS, GTD, PHASES, STP_MODES
from shared.bands import narrow

#: How many mass cancel ids an engine keeps to drop a repeat (see "Commands sent again" above).
MASS_CANCEL_MEMORY = 64


class MatchingEngine:
    """The pure matching core for one instrument."""

    def __init__(self, rules: InstrumentRules, *, phase: str = CLOSED, reference_price: int | None = None) -> None:
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        self.rules = rules
        self.instrument = rules.instrument
        self.trade_id_prefix = f"{rules.instrument}:T"  # trade id: the prefix and the trade sequence number
        self.book = Book()
        self.orders: dict[str, Order] = {}
        self.known_order_ids: set[str] = set()  # every id ever accepted: ids are never reused
        self.mass_cancels: deque[str] = deque(maxlen=MASS_CANCEL_MEMORY)  # the last mass cancels' command ids
        self.phase = phase
        self.seq = 0
        self.trade_seq = 0
        self.reference_price = reference_price
        self.last_trade_price: int | None = None
        self.breaker = BreakerWindow(rules.circuit_breaker) if rules.circuit_breaker is not None else None
        self.band_override: tuple[int, int] | None = None  # for the sessions to come: every override set, intersected
        self.band_reason = ""  # the reasons of the overrides it intersects, "; "-separated
        self.band_pinned = False  # two of them had no price in common (shared.bands.intersect)
        self.session_clip: tuple[int, int] | None = None  # the override in force when the reference was set
        # Whether a new or amended order's size and price need more than "a positive int" (lot, limits, tick, band).
        self.checks_size = rules.lot != 1 or rules.min_quantity is not None or rules.max_quantity is not None
        self.apply_band()
        # The GTD heap (expire_at, priority, order); stale entries skipped.
        self.expiries: list[tuple[int | None, int, Order]] = []

    def apply_band(self) -> None:
        """The band's (low, high), kept with the reference: the static band around it, narrowed by the session's
        clip."""
        self.band = narrow(self.rules.band_limits(self.reference_price), self.session_clip)
        self.checks_price = self.rules.tick != 1 or self.band is not None

    def handle(self, command: object) -> list[Event]:
        """Apply one command; return the events it caused, in order."""
        kind = type(command)
        if kind is SubmitOrder:  # the commands of the hot path call their handlers directly (compiled: a C call)
            return self._submit(command)
        if kind is CancelOrder:
            return cancel(self, command)
        if kind is AmendOrder:
            return amend(self, command)
        try:
            handler = _HANDLERS[kind]
        except KeyError:
            raise TypeError(f"not a matching command: {kind.__name__}") from None
        return handler(self, command)

    def snapshot(self) -> dict:
        """The full engine state as a plain JSON-serialisable dict."""
        return snap.dump(self)

    @classmethod
    def restore(cls, snapshot: dict) -> MatchingEngine:
        """An engine identical to the one `snapshot` was taken from."""
        state = snap.parse(snapshot)
        engine = cls(state.rules, phase=state.phase, reference_price=state.reference_price)
        engine.seq, engine.trade_seq, engine.last_trade_price = state.seq, state.trade_seq, state.last_trade_price
        engine.known_order_ids = state.known_order_ids
        engine.band_override, engine.session_clip = state.band_override, state.session_clip
        engine.band_reason, engine.band_pinned = state.band_reason, state.band_pinned
        engine.apply_band()
        engine.mass_cancels.extend(state.mass_cancels)
        if engine.breaker is not None and state.breaker is not None:
            engine.breaker.load(state.breaker)
        for order in state.orders:
            engine.orders[order.order_id] = order
        for order in sorted(state.orders, key=lambda o: o.priority):
            engine.book.side(order.side).add(order)
            if order.time_in_force == GTD:
                heappush(engine.expiries, (order.expire_at, order.priority, order))
        return engine

    # --- orders ------------------------------------------------------------------------------------------------

    def _submit(self, cmd: Any) -> list[Event]:  # a SubmitOrder (`Any`: its fields may be anything)
        order_id, account, side, quantity, price = cmd.order_id, cmd.account, cmd.side, cmd.quantity, cmd.price
        order_type, tif, ts, stp, min_fill = cmd.order_type, cmd.time_in_force, cmd.ts, cmd.stp, cmd.min_fill
        phase = self.phase
        # The cheap test passes exactly the orders submit_reason accepts; only a failure pays for the full check.
        try:
            kind = ENTRY_KINDS[phase].get((side, order_type, tif))
        except TypeError:  # an unhashable field
            kind = None
        rules = self.rules
        if (kind is None or type(order_id) is not str or not order_id or order_id in self.known_order_ids
                or type(account) is not str or not account or type(quantity) is not int or quantity <= 0
                or (self.checks_size and quantity_reason(quantity, rules, check_min=True) is not None)
                or (price is not None if kind[1] else (
                    type(price) is not int or price <= 0
                    or (self.checks_price and price_reason(price, rules, self.band) is not None)))
                or (kind[5] and (type(cmd.expire_at) is not int or cmd.expire_at <= ts))
                or (stp is not None and (type(stp) is not str or stp not in STP_MODES))
                or (min_fill != 1 and (type(min_fill) is not int or not 1 <= min_fill <= quantity))):
            reason = submit_reason(cmd, rules, self.band, phase, self.known_order_ids)
            if reason is not None:
                self.seq += 1
                return [build(OrderRejected, (self.instrument, self.seq, ts, order_id, account, side,
                                              quantity if type(quantity) is int and quantity > 0 else 0, reason))]
            kind = kind_of(side, order_type, tif)  # valid, but with fields the lookup did not recognise
        is_buy, market, post_only, fok, rests, gtd = kind
        order_min = 1 if min_fill == 1 else min_fill
        limit = price
        marketable = False
        if phase == CONTINUOUS:
            if market:
                band = self.band
                limit = None if band is None else (band[1] if is_buy else band[0])
            opposite = self.book.asks.keys if is_buy else self.book.bids.keys
            if opposite:
                best_key = opposite[-1]  # asks are keyed by minus the price
                marketable = limit is None or (-best_key <= limit if is_buy else best_key >= limit)
            reason = None
            if market:
                if not marketable:
                    reason = r.NO_LIQUIDITY
            elif post_only and marketable:
                reason = r.POST_ONLY_WOULD_TAKE
            if fok and reason is None and not fillable(self, side, account, stp or rules.default_stp, quantity,
                                                       order_min, limit, ts):
                reason = r.FOK_NOT_FILLABLE
            if reason is not None:
                self.seq += 1
                return [build(OrderRejected, (self.instrument, self.seq, ts, order_id, account, side, quantity,
                                              reason))]
        self.known_order_ids.add(order_id)
        seq = self.seq + 1
        instrument = self.instrument
        out: list[Event] = [build(OrderAccepted, (instrument, seq, ts, order_id, account, side, order_type, tif,
                                                  price, quantity))]
        if marketable:  # the order is built only if some of it rests
            self.seq = seq
            touched: Touched = {}
            stp = stp or rules.default_stp
            left = take(self, order_id, side, account, quantity, order_min, stp, limit, ts, out, touched)
            if left:
                if rests:
                    self.rest(Order(order_id, account, cmd.registry, side, price, left, order_type, tif,
                                    cmd.expire_at if gtd else None, stp, seq, (), order_min))
                    touched[(side, price)] = None
                else:
                    self.seq += 1
                    out.append(build(OrderCancelled, (instrument, self.seq, ts, order_id, account, side, left,
                                                      r.CANCEL_UNFILLED)))
            self.emit_deltas(ts, out, touched)
        elif rests:  # the common case: rest without matching (`BookSide.add` inlined)
            order = Order(order_id, account, cmd.registry, side, price, quantity, order_type, tif,
                          cmd.expire_at if gtd else None, stp or rules.default_stp, seq, (), order_min)
            book_side = self.book.bids if is_buy else self.book.asks
            levels = book_side.levels
            level = levels.get(price)
            if level is None:
                level = levels[price] = Level(price)
                insort(book_side.keys, price if is_buy else -price)
            level.orders.append(order)
            level.quantity += quantity
            level.count += 1
            self.orders[order_id] = order
            if gtd:
                heappush(self.expiries, (order.expire_at, seq, order))
            self.seq = seq + 1
            out.append(build(BookDelta, (instrument, seq + 1, ts, side, price, level.quantity, level.count)))
        else:
            self.seq = seq + 1
            out.append(build(OrderCancelled, (instrument, seq + 1, ts, order_id, account, side, quantity,
                                              r.CANCEL_UNFILLED)))
        return out

    def rest(self, order: Order) -> None:
        """Put `order` on the book (and, for GTD, on the expiry heap)."""
        self.book.side(order.side).add(order)
        self.orders[order.order_id] = order
        if order.time_in_force == GTD:
            heappush(self.expiries, (order.expire_at, order.priority, order))

    # --- events (numbered in order) ----------------------------------------------------------------------------

    def expire(self, order: Order, ts: Any, out: list[Event]) -> None:
        del self.orders[order.order_id]
        self.seq += 1
        out.append(build(OrderExpired, (self.instrument, self.seq, ts, order.order_id, order.account, order.side,
                                        order.remaining)))
        self.book.side(order.side).remove(order)

    def emit_cancelled(self, order: Order, reason: object, ts: Any, out: list[Event]) -> None:
        self.seq += 1
        out.append(build(OrderCancelled, (self.instrument, self.seq, ts, order.order_id, order.account, order.side,
                                          order.remaining, reason)))

    def emit_phase(self, phase: str, reason: str, ts: Any, out: list[Event]) -> None:
        previous, self.phase = self.phase, phase
        self.seq += 1
        out.append(build(PhaseChanged, (self.instrument, self.seq, ts, previous, phase, reason)))

    def command_rejected(self, command: str, order_id: object, reason: str, ts: Any) -> CommandRejected:
        self.seq += 1
        return build(CommandRejected, (self.instrument, self.seq, ts, command, order_id, reason))

    def emit_deltas(self, ts: Any, out: list[Event], touched: Touched) -> None:
        bids, asks, instrument, append = self.book.bids.levels, self.book.asks.levels, self.instrument, out.append
        seq = self.seq
        for side, price in touched:
            level = (bids if side == BUY else asks).get(price)
            seq += 1
            if level is None:
                append(build(BookDelta, (instrument, seq, ts, side, price, 0, 0)))
            else:
                append(build(BookDelta, (instrument, seq, ts, side, price, level.quantity, level.count)))
        self.seq = seq


#: The engine's handler of each command type: `handler(engine, command) -> events` (plain functions, so the call
#: from `handle` is a direct Python call, not one through a bound `partial`).
_HANDLERS: dict[type, Callable[..., list[Event]]] = {
    SubmitOrder: MatchingEngine._submit,
    CancelOrder: cancel,
    AmendOrder: amend,
    MassCancel: order_changes.mass_cancel,
    ChangePhase: phases.change_phase,
    AdvanceClock: phases.advance_clock,
    SetReferencePrice: phases.set_reference_price,
    SetBandOverride: phases.set_band_override,
    ClearBandOverride: phases.clear_band_override,
}
