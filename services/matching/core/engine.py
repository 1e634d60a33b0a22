"""MatchingEngine: one instrument's book, phases and rules; `handle(command)` returns the events it caused.

Deterministic: no clock, no randomness, no I/O. Every event gets the next per-instrument sequence number;
trades also get the next trade sequence number (trade id `"{instrument}:T{trade_seq}"`).

Phase behaviour: new orders and amends are accepted in PRE_OPEN, the auctions and CONTINUOUS (MARKET, IOC
and FOK only in CONTINUOUS); cancels and mass cancels in every phase. Only CONTINUOUS matches on arrival;
the call phases collect, and the book uncrosses on leaving an auction for CONTINUOUS or CLOSED and on
entering CONTINUOUS with a crossed book. Entering CLOSED expires DAY orders. Self-trade prevention
(the incoming order's mode) and the circuit breaker apply to continuous matching only.

Circuit breaker: before a fill at a price outside the breaker's range (see `CircuitBreaker`), the fills so
far stand, the instrument goes HALTED (TradingHalted, PhaseChanged) and the aggressor's remainder is
cancelled (reason CIRCUIT_BREAKER) rather than rested, so a halted book is never crossed.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush

from services.matching.core import reasons as r
from services.matching.core import snapshot as snap
from services.matching.core.auction import uncross_price
from services.matching.core.book import Book, BookSide, Order
from services.matching.core.breaker import BreakerWindow
from services.matching.core.commands import (AdvanceClock, AmendOrder, CancelOrder, ChangePhase, MassCancel,
                                             SetReferencePrice, SubmitOrder)
from services.matching.core.events import (BookDelta, CommandRejected, Event, OrderAccepted, OrderAmended,
                                           OrderCancelled, OrderExpired, OrderRejected, PhaseChanged,
                                           ReferencePriceChanged, TradeExecuted, TradingHalted)
from services.matching.core.instrument import InstrumentRules
from services.matching.core.validation import price_reason, quantity_reason, submit_reason
from services.matching.core.vocabulary import (AUCTIONS, BUY, CALL_PHASES, CLOSED, CONTINUOUS, DAY, GTD, HALTED,
                                               FOK, IMMEDIATE, MARKET, ORDER_ENTRY_PHASES, PHASES, POST_ONLY,
                                               STP_CANCEL_INCOMING, STP_CANCEL_RESTING, STP_NONE, TRANSITIONS)

Touched = dict[tuple[str, int], None]  # book levels changed by one command, in first-touch order


class MatchingEngine:
    """The pure matching core for one instrument."""

    def __init__(self, rules: InstrumentRules, *, phase: str = CLOSED, reference_price: int | None = None) -> None:
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        self.rules = rules
        self.instrument = rules.instrument
        self.book = Book()
        self.orders: dict[str, Order] = {}
        self.known_order_ids: set[str] = set()  # every id ever accepted: ids are never reused
        self.phase = phase
        self.seq = 0
        self.trade_seq = 0
        self.reference_price = reference_price
        self.last_trade_price: int | None = None
        self.breaker = BreakerWindow(rules.circuit_breaker) if rules.circuit_breaker is not None else None
        self._band = rules.band_limits(reference_price)
        self._expiries: list[tuple[int, int, Order]] = []  # GTD heap (expire_at, priority, order); stale entries skipped
        self._handlers: dict[type, Callable[[object], list[Event]]] = {
            SubmitOrder: self._submit,
            CancelOrder: self._cancel,
            AmendOrder: self._amend,
            MassCancel: self._mass_cancel,
            ChangePhase: self._change_phase,
            AdvanceClock: self._advance_clock,
            SetReferencePrice: self._set_reference_price,
        }

    def handle(self, command: object) -> list[Event]:
        """Apply one command; return the events it caused, in order."""
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"not a matching command: {type(command).__name__}")
        return handler(command)

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
        if engine.breaker is not None and state.breaker is not None:
            engine.breaker.load(state.breaker)
        for order in state.orders:
            engine.orders[order.order_id] = order
        for order in sorted(state.orders, key=lambda o: o.priority):
            engine.book.side(order.side).add(order)
            if order.time_in_force == GTD:
                heappush(engine._expiries, (order.expire_at, order.priority, order))
        return engine

    # --- orders ------------------------------------------------------------------------------------------------

    def _submit(self, cmd: SubmitOrder) -> list[Event]:
        reason = self._submit_reason(cmd)
        side, order_type, price, ts = cmd.side, cmd.order_type, cmd.price, cmd.ts
        continuous = self.phase == CONTINUOUS
        limit = price
        if reason is None and continuous:
            if order_type == MARKET:
                band = self._band
                limit = None if band is None else (band[1] if side == BUY else band[0])
                if not self._marketable(side, limit):
                    reason = r.NO_LIQUIDITY
            elif order_type == POST_ONLY and self._marketable(side, limit):
                reason = r.POST_ONLY_WOULD_TAKE
            if reason is None and cmd.time_in_force == FOK and not self._fillable(cmd, limit):
                reason = r.FOK_NOT_FILLABLE
        self.seq += 1
        if reason is not None:
            quantity = cmd.quantity
            return [OrderRejected(self.instrument, self.seq, ts, cmd.order_id, cmd.account, side,
                                  quantity if type(quantity) is int and quantity > 0 else 0, reason)]
        order_id, tif = cmd.order_id, cmd.time_in_force
        self.known_order_ids.add(order_id)
        order = Order(order_id, cmd.account, cmd.registry, side, price, cmd.quantity, order_type, tif,
                      cmd.expire_at if tif == GTD else None, cmd.stp or self.rules.default_stp, self.seq)
        out: list[Event] = [OrderAccepted(self.instrument, self.seq, ts, order_id, cmd.account, side, order_type,
                                          tif, price, cmd.quantity)]
        touched: Touched = {}
        if continuous and order_type != POST_ONLY and self._marketable(side, limit):
            self._take(order, limit, ts, out, touched)
        if order.remaining:
            if order_type == MARKET or tif in IMMEDIATE:
                self._cancelled(order, r.CANCEL_UNFILLED, ts, out)
            else:
                self._rest(order, touched)
        if touched:
            self._emit_deltas(ts, out, touched)
        return out

    def _submit_reason(self, cmd: SubmitOrder) -> str | None:
        phase = self.phase
        if phase not in ORDER_ENTRY_PHASES:
            return r.MARKET_CLOSED if phase == CLOSED else r.INSTRUMENT_HALTED
        order_id = cmd.order_id
        if type(order_id) is not str or not order_id:
            return r.INVALID_ORDER_ID
        if order_id in self.known_order_ids:
            return r.DUPLICATE_ORDER_ID
        if type(cmd.account) is not str or not cmd.account:
            return r.INVALID_ACCOUNT
        reason = submit_reason(cmd, self.rules, self._band)
        if reason is None and phase in CALL_PHASES and (cmd.order_type == MARKET or cmd.time_in_force in IMMEDIATE):
            return r.ORDER_TYPE_NOT_ALLOWED_IN_PHASE
        return reason

    def _cancel(self, cmd: CancelOrder) -> list[Event]:
        order = self.orders.pop(cmd.order_id, None) if type(cmd.order_id) is str else None
        if order is None:
            return [self._command_rejected("CANCEL", cmd.order_id, r.UNKNOWN_ORDER, cmd.ts)]
        out: list[Event] = []
        price = order.price
        self._cancelled(order, r.CANCEL_REQUESTED, cmd.ts, out)
        self.book.side(order.side).remove(order)
        self._emit_deltas(cmd.ts, out, {(order.side, price): None})
        return out

    def _mass_cancel(self, cmd: MassCancel) -> list[Event]:
        account, registry, ts = cmd.account, cmd.registry, cmd.ts
        out: list[Event] = []
        touched: Touched = {}
        for order in list(self.orders.values()):
            if (account is None or order.account == account) and (registry is None or order.registry_id() == registry):
                del self.orders[order.order_id]
                touched[(order.side, order.price)] = None
                self._cancelled(order, cmd.reason, ts, out)
                self.book.side(order.side).remove(order)
        self._emit_deltas(ts, out, touched)
        return out

    def _amend(self, cmd: AmendOrder) -> list[Event]:
        ts = cmd.ts
        order = self.orders.get(cmd.order_id) if type(cmd.order_id) is str else None
        if order is None:
            return [self._command_rejected("AMEND", cmd.order_id, r.UNKNOWN_ORDER, ts)]
        phase = self.phase
        if phase not in ORDER_ENTRY_PHASES:
            reason = r.MARKET_CLOSED if phase == CLOSED else r.INSTRUMENT_HALTED
            return [self._command_rejected("AMEND", cmd.order_id, reason, ts)]
        price = order.price if cmd.price is None else cmd.price
        quantity = order.remaining if cmd.quantity is None else cmd.quantity
        reason = quantity_reason(quantity, self.rules, check_min=False) or price_reason(price, self.rules, self._band)
        continuous = phase == CONTINUOUS
        side = order.side
        if reason is None and order.order_type == POST_ONLY and continuous and self._marketable(side, price):
            reason = r.POST_ONLY_WOULD_TAKE
        if reason is not None:
            return [self._command_rejected("AMEND", cmd.order_id, reason, ts)]
        book_side = self.book.side(side)
        old_price = order.price
        self.seq += 1
        if price == old_price and quantity <= order.remaining:
            book_side.reduce(order, quantity)
            out: list[Event] = [OrderAmended(self.instrument, self.seq, ts, order.order_id, order.account, side,
                                             price, quantity, False)]
            self._emit_deltas(ts, out, {(side, price): None})
            return out
        book_side.remove(order)
        del self.orders[order.order_id]
        moved = Order(order.order_id, order.account, order.registry, side, price, quantity, order.order_type,
                      order.time_in_force, order.expire_at, order.stp, self.seq)
        out = [OrderAmended(self.instrument, self.seq, ts, order.order_id, order.account, side, price, quantity, True)]
        touched: Touched = {(side, old_price): None}
        if continuous and self._marketable(side, price):
            self._take(moved, price, ts, out, touched)
        if moved.remaining:
            self._rest(moved, touched)
        self._emit_deltas(ts, out, touched)
        return out

    # --- matching ----------------------------------------------------------------------------------------------

    def _marketable(self, side: str, limit: int | None) -> bool:
        best = (self.book.asks if side == BUY else self.book.bids).best_price()
        if best is None:
            return False
        return limit is None or (best <= limit if side == BUY else best >= limit)

    def _fillable(self, cmd: SubmitOrder, limit: int | None) -> bool:
        """Whether a FOK order can fill completely now, given its limit, the breaker and self-trade prevention."""
        side, account = cmd.side, cmd.account
        stp = cmd.stp or self.rules.default_stp
        breaker_range = self.breaker.allowed_range(cmd.ts, self.reference_price) if self.breaker else None
        need = cmd.quantity
        for level in self.book.opposite(side).levels_best_first():
            price = level.price
            if limit is not None and (price > limit if side == BUY else price < limit):
                return False
            if breaker_range is not None and not breaker_range[0] <= price <= breaker_range[1]:
                return False
            if stp == STP_NONE:
                need -= level.quantity
            else:
                for order in level.orders:
                    if not order.remaining:
                        continue
                    if order.account == account:
                        if stp == STP_CANCEL_RESTING:
                            continue
                        return False
                    need -= order.remaining
                    if need <= 0:
                        return True
            if need <= 0:
                return True
        return False

    def _take(self, taker: Order, limit: int | None, ts: int, out: list[Event], touched: Touched) -> None:
        """Continuous matching of `taker` against the opposite side up to `limit` (None: no limit)."""
        book_side: BookSide = self.book.opposite(taker.side)
        keys, levels, sign, maker_side = book_side.keys, book_side.levels, book_side.sign, book_side.side
        is_buy = taker.side == BUY
        aggressor = taker.side
        account, taker_id = taker.account, taker.order_id
        stp = taker.stp
        check_stp = stp != STP_NONE
        breaker_range = self.breaker.allowed_range(ts, self.reference_price) if self.breaker is not None else None
        orders_by_id = self.orders
        instrument = self.instrument
        traded_at = None
        while keys:
            price = keys[-1] * sign
            if limit is not None and (price > limit if is_buy else price < limit):
                break
            if breaker_range is not None and not breaker_range[0] <= price <= breaker_range[1]:
                self._trip(taker, price, breaker_range, ts, out)
                break
            level = levels[price]
            queue = level.orders
            touched[(maker_side, price)] = None
            while True:
                maker = queue[0]
                maker_left = maker.remaining
                if not maker_left:
                    queue.popleft()
                    continue
                if check_stp and maker.account == account:
                    if stp != STP_CANCEL_INCOMING:
                        queue.popleft()
                        level.quantity -= maker_left
                        level.count -= 1
                        del orders_by_id[maker.order_id]
                        self._cancelled(maker, r.CANCEL_SELF_TRADE, ts, out)
                        maker.remaining = 0
                    if stp != STP_CANCEL_RESTING:
                        self._cancelled(taker, r.CANCEL_SELF_TRADE, ts, out)
                        taker.remaining = 0
                else:
                    taker_left = taker.remaining
                    fill = maker_left if maker_left < taker_left else taker_left
                    maker_left -= fill
                    taker_left -= fill
                    maker.remaining = maker_left
                    taker.remaining = taker_left
                    level.quantity -= fill
                    if not maker_left:
                        queue.popleft()
                        level.count -= 1
                        del orders_by_id[maker.order_id]
                    self.trade_seq += 1
                    self.seq += 1
                    trade_seq = self.trade_seq
                    maker_id = maker.order_id
                    if is_buy:
                        out.append(TradeExecuted(
                            instrument, self.seq, ts, f"{instrument}:T{trade_seq}", trade_seq, price, fill, aggressor,
                            maker_id, taker_id, maker.account, account, taker_id, maker_id, account, maker.account,
                            taker_left, maker_left))
                    else:
                        out.append(TradeExecuted(
                            instrument, self.seq, ts, f"{instrument}:T{trade_seq}", trade_seq, price, fill, aggressor,
                            maker_id, taker_id, maker.account, account, maker_id, taker_id, maker.account, account,
                            maker_left, taker_left))
                    traded_at = price
                if not taker.remaining or not level.count:
                    break
            if not level.count:
                keys.pop()
                del levels[price]
            if not taker.remaining:
                break
        if traded_at is not None:
            self.last_trade_price = traded_at
            if self.breaker is not None:
                self.breaker.record(ts, traded_at)

    def _trip(self, taker: Order, price: int, allowed: tuple[int, int], ts: int, out: list[Event]) -> None:
        anchor = self.breaker.anchor(ts, self.reference_price)
        self.seq += 1
        out.append(TradingHalted(self.instrument, self.seq, ts, taker.order_id, price, anchor, allowed[0], allowed[1]))
        self._set_phase(HALTED, "CIRCUIT_BREAKER", ts, out)
        self._cancelled(taker, r.CANCEL_CIRCUIT_BREAKER, ts, out)
        taker.remaining = 0

    def _uncross(self, ts: int, out: list[Event], touched: Touched) -> None:
        """Execute the call auction at the uncross price: best price first, FIFO within each price."""
        reference = self.reference_price if self.reference_price is not None else self.last_trade_price
        price = uncross_price(self.book, reference)
        if price is None:
            return
        bids, asks, instrument = self.book.bids, self.book.asks, self.instrument
        while bids.keys and asks.keys and bids.keys[-1] >= price and -asks.keys[-1] <= price:
            bid_level, ask_level = bids.levels[bids.keys[-1]], asks.levels[-asks.keys[-1]]
            bid, ask = bid_level.head(), ask_level.head()
            fill = min(bid.remaining, ask.remaining)
            for order, level, book_side in ((bid, bid_level, bids), (ask, ask_level, asks)):
                order.remaining -= fill
                level.quantity -= fill
                touched[(book_side.side, level.price)] = None
                if not order.remaining:
                    level.orders.popleft()
                    level.count -= 1
                    del self.orders[order.order_id]
                    if not level.count:
                        book_side.drop_level(level.price)
            maker, taker = (bid, ask) if bid.priority < ask.priority else (ask, bid)
            self.trade_seq += 1
            self.seq += 1
            out.append(TradeExecuted(
                instrument, self.seq, ts, f"{instrument}:T{self.trade_seq}", self.trade_seq, price, fill, None,
                maker.order_id, taker.order_id, maker.account, taker.account, bid.order_id, ask.order_id,
                bid.account, ask.account, bid.remaining, ask.remaining))
        self.last_trade_price = price
        if self.breaker is not None:
            self.breaker.reset(price)

    # --- phases, clock, reference price ------------------------------------------------------------------------

    def _change_phase(self, cmd: ChangePhase) -> list[Event]:
        new, old, ts = cmd.phase, self.phase, cmd.ts
        if type(new) is not str or new not in PHASES:
            return [self._command_rejected("CHANGE_PHASE", None, r.INVALID_PHASE, ts)]
        if new not in TRANSITIONS[old]:
            return [self._command_rejected("CHANGE_PHASE", None, r.INVALID_PHASE_TRANSITION, ts)]
        if cmd.reference_price is not None and price_reason(cmd.reference_price, self.rules, None) is not None:
            return [self._command_rejected("CHANGE_PHASE", None, r.INVALID_PRICE, ts)]
        out: list[Event] = []
        touched: Touched = {}
        if cmd.reference_price is not None:
            self._apply_reference_price(cmd.reference_price, ts, out)
        if new == CONTINUOUS or (old in AUCTIONS and new == CLOSED):
            self._uncross(ts, out, touched)
        if old == HALTED and self.breaker is not None:
            self.breaker.reset(self.last_trade_price)
        self._set_phase(new, "", ts, out)
        if new == CLOSED:
            for order in list(self.orders.values()):
                if order.time_in_force == DAY:
                    touched[(order.side, order.price)] = None
                    self._expire(order, ts, out)
        self._emit_deltas(ts, out, touched)
        return out

    def _set_phase(self, phase: str, reason: str, ts: int, out: list[Event]) -> None:
        previous, self.phase = self.phase, phase
        self.seq += 1
        out.append(PhaseChanged(self.instrument, self.seq, ts, previous, phase, reason))

    def _advance_clock(self, cmd: AdvanceClock) -> list[Event]:
        now, heap = cmd.ts, self._expiries
        out: list[Event] = []
        touched: Touched = {}
        while heap and heap[0][0] <= now:
            order = heappop(heap)[2]
            if order.remaining and self.orders.get(order.order_id) is order:
                touched[(order.side, order.price)] = None
                self._expire(order, now, out)
        self._emit_deltas(now, out, touched)
        return out

    def _set_reference_price(self, cmd: SetReferencePrice) -> list[Event]:
        if price_reason(cmd.price, self.rules, None) is not None:
            return [self._command_rejected("SET_REFERENCE_PRICE", None, r.INVALID_PRICE, cmd.ts)]
        out: list[Event] = []
        self._apply_reference_price(cmd.price, cmd.ts, out)
        return out

    def _apply_reference_price(self, price: int, ts: int, out: list[Event]) -> None:
        self.reference_price = price
        self._band = self.rules.band_limits(price)
        self.seq += 1
        out.append(ReferencePriceChanged(self.instrument, self.seq, ts, price))

    # --- helpers -----------------------------------------------------------------------------------------------

    def _rest(self, order: Order, touched: Touched) -> None:
        self.book.side(order.side).add(order)
        self.orders[order.order_id] = order
        if order.time_in_force == GTD:
            heappush(self._expiries, (order.expire_at, order.priority, order))
        touched[(order.side, order.price)] = None

    def _expire(self, order: Order, ts: int, out: list[Event]) -> None:
        del self.orders[order.order_id]
        self.seq += 1
        out.append(OrderExpired(self.instrument, self.seq, ts, order.order_id, order.account, order.side,
                                order.remaining))
        self.book.side(order.side).remove(order)

    def _cancelled(self, order: Order, reason: str, ts: int, out: list[Event]) -> None:
        self.seq += 1
        out.append(OrderCancelled(self.instrument, self.seq, ts, order.order_id, order.account, order.side,
                                  order.remaining, reason))

    def _command_rejected(self, command: str, order_id: object, reason: str, ts: int) -> CommandRejected:
        self.seq += 1
        return CommandRejected(self.instrument, self.seq, ts, command, order_id, reason)

    def _emit_deltas(self, ts: int, out: list[Event], touched: Touched) -> None:
        bids, asks, instrument = self.book.bids.levels, self.book.asks.levels, self.instrument
        for side, price in touched:
            level = (bids if side == BUY else asks).get(price)
            self.seq += 1
            if level is None:
                out.append(BookDelta(instrument, self.seq, ts, side, price, 0, 0))
            else:
                out.append(BookDelta(instrument, self.seq, ts, side, price, level.quantity, level.count))
