"""Continuous matching: an aggressor against the opposite side, and the fill-or-kill pre-check.

Functions over a `MatchingEngine`'s state (the engine calls them; they are the core's hot path, so they keep
counters in locals and write them back before calling anything that numbers events itself).

Circuit breaker: before a fill at a price outside the breaker's range (see `CircuitBreaker`), the fills so
far stand, the instrument goes HALTED (TradingHalted, PhaseChanged) and the aggressor's remainder is
cancelled (reason CIRCUIT_BREAKER) rather than rested, so a halted book is never crossed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.matching.core import reasons as r
from services.matching.core.events import Event, OrderCancelled, TradeExecuted, TradingHalted, build
from services.matching.core.min_fill import allowed_fill
from services.matching.core.vocabulary import BUY, HALTED, STP_CANCEL_INCOMING, STP_CANCEL_RESTING, STP_NONE

if TYPE_CHECKING:  # the engine imports this module
    from services.matching.core.engine import MatchingEngine

Touched = dict[tuple[str, int], None]  # book levels changed by one command, in first-touch order


def take(engine: MatchingEngine, taker_id: str, aggressor: str, account: str, quantity: int, taker_min: int, stp: str,
         limit: int | None, ts: Any, out: list[Event], touched: Touched) -> int:
    """Match an incoming order (its id, side, account, open `quantity`, minimum fill and self-trade mode) against
    the opposite side up to `limit` (None: no limit), best price first, FIFO, passing over resting orders it may
    not fill with (`min_fill`): they keep their place, and their level its key. Returns the quantity left open
    (0 as well when self-trade prevention or the circuit breaker cancelled the rest: the events say so)."""
    is_buy = aggressor == BUY
    book_side = engine.book.asks if is_buy else engine.book.bids
    keys, levels, sign, maker_side = book_side.keys, book_side.levels, book_side.sign, book_side.side
    lot = engine.rules.lot
    check_stp = stp != STP_NONE
    breaker = engine.breaker
    breaker_range = breaker.allowed_range(ts, engine.reference_price) if breaker is not None else None
    orders_by_id = engine.orders
    instrument = engine.instrument
    trade_prefix = engine.trade_id_prefix
    append = out.append
    seq, trade_seq = engine.seq, engine.trade_seq
    taker_left = quantity
    traded_at = None
    at = len(keys) - 1  # the level being taken: the best one, unless better ones were passed over
    while at >= 0:
        price = keys[at] * sign
        if limit is not None and (price > limit if is_buy else price < limit):
            break
        if breaker_range is not None and not breaker_range[0] <= price <= breaker_range[1]:
            engine.seq = seq
            _trip(engine, taker_id, aggressor, account, taker_left, price, breaker_range, ts, out)
            seq = engine.seq
            taker_left = 0
            break
        level = levels[price]
        queue = level.orders
        touched[(maker_side, price)] = None
        passed = 0  # live orders at the head of the queue passed over; ended ones behind them stay (lazily)
        while passed < len(queue):
            maker = queue[passed]
            maker_left = maker.remaining
            if not maker_left:
                if passed:
                    passed += 1
                else:
                    queue.popleft()
                continue
            if check_stp and maker.account == account:
                engine.seq = seq
                if stp != STP_CANCEL_INCOMING:
                    if passed:
                        passed += 1
                    else:
                        queue.popleft()
                    level.quantity -= maker_left
                    level.count -= 1
                    del orders_by_id[maker.order_id]
                    engine.emit_cancelled(maker, r.CANCEL_SELF_TRADE, ts, out)
                    maker.remaining = 0
                seq = engine.seq
                if stp != STP_CANCEL_RESTING:
                    seq += 1
                    append(build(OrderCancelled, (instrument, seq, ts, taker_id, account, aggressor, taker_left,
                                                  r.CANCEL_SELF_TRADE)))
                    taker_left = 0
            else:
                if taker_min == 1 and maker.min_fill == 1:
                    fill = maker_left if maker_left < taker_left else taker_left
                else:
                    fill = allowed_fill(taker_left, taker_min, maker_left, maker.min_fill, lot)
                    if not fill:
                        passed += 1
                        continue
                maker_left -= fill
                taker_left -= fill
                maker.remaining = maker_left
                level.quantity -= fill
                if not maker_left:
                    if passed:
                        passed += 1
                    else:
                        queue.popleft()
                    level.count -= 1
                    del orders_by_id[maker.order_id]
                trade_seq += 1
                seq += 1
                maker_id = maker.order_id
                maker_account = maker.account
                if is_buy:
                    append(build(TradeExecuted, (
                        instrument, seq, ts, f"{trade_prefix}{trade_seq}", trade_seq, price, fill, aggressor,
                        maker_id, taker_id, maker_account, account, taker_id, maker_id, account, maker_account,
                        taker_left, maker_left)))
                else:
                    append(build(TradeExecuted, (
                        instrument, seq, ts, f"{trade_prefix}{trade_seq}", trade_seq, price, fill, aggressor,
                        maker_id, taker_id, maker_account, account, maker_id, taker_id, maker_account, account,
                        maker_left, taker_left)))
                traded_at = price
            if not taker_left or not level.count:
                break
        if not level.count:
            del keys[at]
            del levels[price]
        if not taker_left:
            break
        at -= 1
    engine.seq, engine.trade_seq = seq, trade_seq
    if traded_at is not None:
        engine.last_trade_price = traded_at
        if breaker is not None:
            breaker.record(ts, traded_at)
    return taker_left


def fillable(engine: MatchingEngine, side: str, account: str, stp: str, quantity: int, min_fill: int, limit: int | None,
             ts: Any) -> bool:
    """Whether a FOK order can fill completely now, given its limit, the breaker, self-trade prevention and the
    minimum fills (its own and the resting orders'): `take` walked without changing anything."""
    breaker_range = engine.breaker.allowed_range(ts, engine.reference_price) if engine.breaker else None
    need, lot = quantity, engine.rules.lot
    is_buy = side == BUY
    book_side = engine.book.asks if is_buy else engine.book.bids
    levels, sign = book_side.levels, book_side.sign
    check_stp = stp != STP_NONE
    for key in reversed(book_side.keys):
        price = key * sign
        if limit is not None and (price > limit if is_buy else price < limit):
            return False
        if breaker_range is not None and not breaker_range[0] <= price <= breaker_range[1]:
            return False
        for order in levels[price].orders:
            left = order.remaining
            if not left:
                continue
            if check_stp and order.account == account:
                if stp == STP_CANCEL_RESTING:
                    continue
                return False
            if min_fill == 1 and order.min_fill == 1:
                if left >= need:
                    return True
                need -= left
            else:
                need -= allowed_fill(need, min_fill, left, order.min_fill, lot)
                if not need:
                    return True
    return False


def _trip(engine: MatchingEngine, taker_id: str, side: str, account: str, left: int, price: int,
          allowed: tuple[int, int], ts: Any, out: list[Event]) -> None:
    anchor = engine.breaker.anchor(ts, engine.reference_price)  # type: ignore[union-attr]  # (it has a breaker)
    engine.seq += 1
    out.append(build(TradingHalted, (engine.instrument, engine.seq, ts, taker_id, price, anchor, allowed[0],
                                     allowed[1])))
    engine.emit_phase(HALTED, "CIRCUIT_BREAKER", ts, out)
    engine.seq += 1
    out.append(build(OrderCancelled, (engine.instrument, engine.seq, ts, taker_id, account, side, left,
                                      r.CANCEL_CIRCUIT_BREAKER)))
