"""Mirror of each book in Redis, written in one transaction per batch: depth levels, resting orders, last trade,
recent trades, phase, reference price and every order's state. Order entry reads books only from here.

Events at or below the instrument's mirrored sequence number are skipped, so a replay after a crash
leaves Redis exactly as an uninterrupted run would.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from redis.asyncio.client import Pipeline

from services.matching import core
from shared import market_keys as keys


def mirror(pipe: Pipeline, instrument: str, events: Iterable[core.Event], *, after_seq: int) -> int:
    """Queue the writes for `events` newer than `after_seq`; return the new mirrored sequence number."""
    last = after_seq
    for event in events:
        if event.seq <= after_seq:
            continue
        _write(pipe, instrument, event)
        last = event.seq
    if last != after_seq:
        pipe.set(keys.mirrored_seq(instrument), last)
    return last


def _write(pipe: Pipeline, instrument: str, event: core.Event) -> None:
    match event:
        case core.BookDelta():
            levels = keys.levels(instrument, event.side)
            if event.quantity:
                pipe.hset(levels, str(event.price), f"{event.quantity}:{event.order_count}")
            else:
                pipe.hdel(levels, str(event.price))
        case core.OrderAccepted():
            pipe.hset(keys.order_state(event.order_id),
                      mapping={"status": keys.NEW, "leaves": event.quantity, "filled": 0, "instrument": instrument})
            if event.order_type != "MARKET" and event.time_in_force not in ("IOC", "FOK"):
                _rest(pipe, instrument, event.order_id, event.side, event.price, event.quantity, event.account)
        case core.TradeExecuted():
            _fill(pipe, instrument, event.buy_order_id, event.quantity, event.buy_leaves_quantity)
            _fill(pipe, instrument, event.sell_order_id, event.quantity, event.sell_leaves_quantity)
            trade = {"trade_id": event.trade_id, "price": event.price, "quantity": event.quantity,
                     "aggressor_side": event.aggressor_side, "at": event.ts}
            pipe.hset(keys.last_trade(instrument), mapping=trade | {"aggressor_side": event.aggressor_side or ""})
            pipe.lpush(keys.recent_trades(instrument), orjson.dumps(trade))
            pipe.ltrim(keys.recent_trades(instrument), 0, keys.RECENT_TRADES - 1)
        case core.OrderAmended():
            pipe.hset(keys.order_state(event.order_id), mapping={"leaves": event.quantity, "price": event.price})
            _rest(pipe, instrument, event.order_id, event.side, event.price, event.quantity, event.account)
        case core.OrderCancelled():
            _close(pipe, instrument, event.order_id, keys.CANCELLED, event.reason)
        case core.OrderExpired():
            _close(pipe, instrument, event.order_id, keys.EXPIRED, "EXPIRED")
        case core.OrderRejected():
            _close(pipe, instrument, event.order_id, keys.REJECTED, event.reason)
        case core.PhaseChanged():
            pipe.set(keys.phase(instrument), event.phase)
        case core.ReferencePriceChanged():
            pipe.set(keys.reference_price(instrument), event.price)


def _rest(pipe: Pipeline, instrument: str, order_id: str, side: str, price: int | None, quantity: int,
          account: str) -> None:
    pipe.hset(keys.resting_orders(instrument), order_id,
              orjson.dumps({"side": side, "price": price, "quantity": quantity, "account": account}))


def _fill(pipe: Pipeline, instrument: str, order_id: str, quantity: int, leaves: int) -> None:
    state = keys.order_state(order_id)
    pipe.hincrby(state, "filled", quantity)
    pipe.hset(state, mapping={"leaves": leaves, "status": keys.FILLED if leaves == 0 else keys.PARTIALLY_FILLED})
    if leaves == 0:
        pipe.hdel(keys.resting_orders(instrument), order_id)
    else:
        pipe.eval(_UPDATE_RESTING, 1, keys.resting_orders(instrument), order_id, leaves)


def _close(pipe: Pipeline, instrument: str, order_id: str, status: str, reason: str) -> None:
    pipe.hset(keys.order_state(order_id), mapping={"status": status, "leaves": 0, "reason": reason})
    pipe.hdel(keys.resting_orders(instrument), order_id)


# Partial fill of a resting order: rewrite its open quantity inside the stored JSON (absent if it never rested).
_UPDATE_RESTING = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local order = cjson.decode(raw)
order['quantity'] = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(order))
return 1
"""
