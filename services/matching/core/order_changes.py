"""Changes to resting orders: cancel, mass cancel and amend, as functions over a `MatchingEngine`'s state.

A cancel needs no command id (it ends its order, so a repeat is rejected as unknown); a mass cancel's id is kept
in the engine's bounded memory and an amend's on the order it amended (see `MatchingEngine`, "Commands sent
again"). An amend to a lower quantity at the same price keeps the order's priority; any other amend re-enters
the order at the back of its new level and, in CONTINUOUS, matches first if it crosses. An amend may not take an
order's open quantity below its minimum fill (QUANTITY_BELOW_MIN_FILL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.matching.core import reasons as r
from services.matching.core.book import Order
from services.matching.core.continuous import Touched, take
from services.matching.core.events import BookDelta, Event, OrderAmended, OrderCancelled, build
from services.matching.core.validation import price_reason, quantity_reason
from services.matching.core.vocabulary import BUY, CLOSED, CONTINUOUS, ORDER_ENTRY_PHASES, POST_ONLY

if TYPE_CHECKING:  # the engine imports this module
    from services.matching.core.engine import MatchingEngine


def cancel(engine: MatchingEngine, cmd: Any) -> list[Event]:  # a CancelOrder
    try:
        order = engine.orders.pop(cmd.order_id, None)
    except TypeError:  # an unhashable order id
        order = None
    if order is None:
        return [engine.command_rejected("CANCEL", cmd.order_id, r.UNKNOWN_ORDER, cmd.ts)]
    side, price, ts, seq, instrument = order.side, order.price, cmd.ts, engine.seq, engine.instrument
    out: list[Event] = [build(OrderCancelled, (instrument, seq + 1, ts, order.order_id, order.account, side,
                                               order.remaining, r.CANCEL_REQUESTED))]
    book_side = engine.book.bids if side == BUY else engine.book.asks
    level = book_side.levels[price]
    level.quantity -= order.remaining
    level.count -= 1
    order.remaining = 0
    engine.seq = seq + 2
    if level.count:
        out.append(build(BookDelta, (instrument, seq + 2, ts, side, price, level.quantity, level.count)))
    else:
        book_side.drop_level(price)
        out.append(build(BookDelta, (instrument, seq + 2, ts, side, price, 0, 0)))
    return out


def mass_cancel(engine: MatchingEngine, cmd: Any) -> list[Event]:  # a MassCancel
    if cmd.command_id:
        if cmd.command_id in engine.mass_cancels:
            return []
        engine.mass_cancels.append(cmd.command_id)
    account, registry, ts = cmd.account, cmd.registry, cmd.ts
    out: list[Event] = []
    touched: Touched = {}
    for order in list(engine.orders.values()):
        if (account is None or order.account == account) and (registry is None or order.registry_id() == registry):
            del engine.orders[order.order_id]
            touched[(order.side, order.price)] = None
            engine.emit_cancelled(order, cmd.reason, ts, out)
            engine.book.side(order.side).remove(order)
    engine.emit_deltas(ts, out, touched)
    return out


def amend(engine: MatchingEngine, cmd: Any) -> list[Event]:  # an AmendOrder
    ts = cmd.ts
    order = engine.orders.get(cmd.order_id) if type(cmd.order_id) is str else None
    if order is None:
        return [engine.command_rejected("AMEND", cmd.order_id, r.UNKNOWN_ORDER, ts)]
    if cmd.command_id:
        if cmd.command_id in order.commands:
            return []
        order.commands += (cmd.command_id,)
    phase = engine.phase
    if phase not in ORDER_ENTRY_PHASES:
        closed = r.MARKET_CLOSED if phase == CLOSED else r.INSTRUMENT_HALTED
        return [engine.command_rejected("AMEND", cmd.order_id, closed, ts)]
    price = order.price if cmd.price is None else cmd.price
    quantity = order.remaining if cmd.quantity is None else cmd.quantity
    if (type(quantity) is int and quantity > 0 and type(price) is int and price > 0 and not engine.checks_size
            and not engine.checks_price):  # what the rules make of size and price: nothing (see the engine)
        reason = r.QUANTITY_BELOW_MIN_FILL if quantity < order.min_fill else None
    else:
        reason = (quantity_reason(quantity, engine.rules, check_min=False)
                  or (r.QUANTITY_BELOW_MIN_FILL if quantity < order.min_fill else None)
                  or price_reason(price, engine.rules, engine.band))
    side = order.side
    is_buy = side == BUY
    marketable = False
    if reason is None and phase == CONTINUOUS:
        opposite = engine.book.asks.keys if is_buy else engine.book.bids.keys  # asks keyed by minus the price
        marketable = bool(opposite) and (-opposite[-1] <= price if is_buy else opposite[-1] >= price)
        if marketable and order.order_type == POST_ONLY:
            reason = r.POST_ONLY_WOULD_TAKE
    if reason is not None:
        return [engine.command_rejected("AMEND", cmd.order_id, reason, ts)]
    book_side = engine.book.bids if is_buy else engine.book.asks
    old_price = order.price
    engine.seq += 1
    if price == old_price and quantity <= order.remaining:
        book_side.reduce(order, quantity)
        out: list[Event] = [build(OrderAmended, (engine.instrument, engine.seq, ts, order.order_id, order.account,
                                                 side, price, quantity, False))]
        engine.emit_deltas(ts, out, {(side, price): None})
        return out
    book_side.remove(order)
    del engine.orders[order.order_id]
    out = [build(OrderAmended, (engine.instrument, engine.seq, ts, order.order_id, order.account, side, price,
                                quantity, True))]
    touched: Touched = {(side, old_price): None}
    priority = engine.seq
    if marketable:
        quantity = take(engine, order.order_id, side, order.account, quantity, order.min_fill, order.stp, price, ts,
                        out, touched)
    if quantity:
        engine.rest(Order(order.order_id, order.account, order.registry, side, price, quantity, order.order_type,
                          order.time_in_force, order.expire_at, order.stp, priority, order.commands, order.min_fill))
        touched[(side, price)] = None
    engine.emit_deltas(ts, out, touched)
    return out

