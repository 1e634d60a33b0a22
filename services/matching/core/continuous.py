"""Continuous matching: an aggressor against the opposite side, and the fill-or-kill pre-check.

Functions over a `MatchingEngine`'s state (the engine calls them; they are the core's hot path, so they keep
counters in locals and write them back before calling anything that numbers events itself).

Circuit breaker: before a fill at a price outside the breaker's range (see `CircuitBreaker`), the fills so
far stand, the instrument goes HALTED (TradingHalted, PhaseChanged) and the aggressor's remainder is
cancelled (reason CIRCUIT_BREAKER) rather than rested, so a halted book is never crossed.
"""

from __future__ import annotations

from services.matching.core import reasons as r
from services.matching.core.book import Order
from services.matching.core.events import Event, TradeExecuted, TradingHalted, build
from services.matching.core.vocabulary import BUY, HALTED, STP_CANCEL_INCOMING, STP_CANCEL_RESTING, STP_NONE

Touched = dict[tuple[str, int], None]  # book levels changed by one command, in first-touch order


def take(engine, taker: Order, limit: int | None, ts: int, out: list[Event], touched: Touched) -> None:
    """Match `taker` against the opposite side up to `limit` (None: no limit), best price first, FIFO."""
    is_buy = taker.side == BUY
    book_side = engine.book.asks if is_buy else engine.book.bids
    keys, levels, sign, maker_side = book_side.keys, book_side.levels, book_side.sign, book_side.side
    aggressor = taker.side
    account, taker_id = taker.account, taker.order_id
    stp = taker.stp
    check_stp = stp != STP_NONE
    breaker = engine.breaker
    breaker_range = breaker.allowed_range(ts, engine.reference_price) if breaker is not None else None
    orders_by_id = engine.orders
    instrument = engine.instrument
    append = out.append
    seq, trade_seq = engine.seq, engine.trade_seq
    traded_at = None
    while keys:
        price = keys[-1] * sign
        if limit is not None and (price > limit if is_buy else price < limit):
            break
        if breaker_range is not None and not breaker_range[0] <= price <= breaker_range[1]:
            engine.seq = seq
            _trip(engine, taker, price, breaker_range, ts, out)
            seq = engine.seq
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
                engine.seq = seq
                if stp != STP_CANCEL_INCOMING:
                    queue.popleft()
                    level.quantity -= maker_left
                    level.count -= 1
                    del orders_by_id[maker.order_id]
                    engine.emit_cancelled(maker, r.CANCEL_SELF_TRADE, ts, out)
                    maker.remaining = 0
                if stp != STP_CANCEL_RESTING:
                    engine.emit_cancelled(taker, r.CANCEL_SELF_TRADE, ts, out)
                    taker.remaining = 0
                seq = engine.seq
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
                trade_seq += 1
                seq += 1
                maker_id = maker.order_id
                maker_account = maker.account
                if is_buy:
                    append(build(TradeExecuted, (
                        instrument, seq, ts, f"{instrument}:T{trade_seq}", trade_seq, price, fill, aggressor,
                        maker_id, taker_id, maker_account, account, taker_id, maker_id, account, maker_account,
                        taker_left, maker_left)))
                else:
                    append(build(TradeExecuted, (
                        instrument, seq, ts, f"{instrument}:T{trade_seq}", trade_seq, price, fill, aggressor,
                        maker_id, taker_id, maker_account, account, maker_id, taker_id, maker_account, account,
                        maker_left, taker_left)))
                traded_at = price
            if not taker.remaining or not level.count:
                break
        if not level.count:
            keys.pop()
            del levels[price]
        if not taker.remaining:
            break
    engine.seq, engine.trade_seq = seq, trade_seq
    if traded_at is not None:
        engine.last_trade_price = traded_at
        if breaker is not None:
            breaker.record(ts, traded_at)


def fillable(engine, side: str, account: str, stp: str, quantity: int, limit: int | None, ts: int) -> bool:
    """Whether a FOK order can fill completely now, given its limit, the breaker and self-trade prevention."""
    breaker_range = engine.breaker.allowed_range(ts, engine.reference_price) if engine.breaker else None
    need = quantity
    for level in engine.book.opposite(side).levels_best_first():
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


def _trip(engine, taker: Order, price: int, allowed: tuple[int, int], ts: int, out: list[Event]) -> None:
    anchor = engine.breaker.anchor(ts, engine.reference_price)
    engine.seq += 1
    out.append(build(TradingHalted, (engine.instrument, engine.seq, ts, taker.order_id, price, anchor, allowed[0],
                                     allowed[1])))
    engine.emit_phase(HALTED, "CIRCUIT_BREAKER", ts, out)
    engine.emit_cancelled(taker, r.CANCEL_CIRCUIT_BREAKER, ts, out)
    taker.remaining = 0
