"""Mirror of each book in Redis: depth levels, resting orders, last trade, recent trades, phase, reference price
and every order's state. Order entry reads books only from here.

The writes travel as JSON lists of small operations, each list applied by one Lua script call (atomic):
queuing each write as its own command cost the service most of its time in redis-py. A list holds at most
about `CHUNK_OPS` operations and ends with the instrument's mirrored sequence number (operation `M`), and the
lists go in one pipeline: one script call over a whole busy batch (~2,500 commands) held Redis for ~290 ms,
stalling every other client, while a chunk holds it for a few milliseconds.

Events at or below the instrument's mirrored sequence number are skipped, so a replay after a crash — even one
between two chunks — leaves Redis exactly as an uninterrupted run would.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from services.matching import core
from shared import market_keys as keys
from shared import redis_scripts
from shared.redis_scripts import PipelinedScript

Ops = list[list]

#: Operations per script call (one call of this size takes a few milliseconds of Redis).
CHUNK_OPS = 400


def mirror_ops(ops: Ops, instrument: str, events: Iterable[core.Event], *, after_seq: int) -> int:
    """Append the writes for `events` newer than `after_seq` to `ops`, with the mirrored sequence number after
    every `CHUNK_OPS` or so and at the end; return the new mirrored sequence number."""
    last = after_seq
    seq_key = keys.mirrored_seq(instrument)
    since_marker = 0
    for event in events:
        if event.seq <= after_seq:
            continue
        before = len(ops)
        _write(ops, instrument, event)
        last = event.seq
        since_marker += len(ops) - before
        if since_marker >= CHUNK_OPS:
            ops.append(["M", seq_key, str(last)])
            since_marker = 0
    if since_marker:
        ops.append(["M", seq_key, str(last)])
    return last


def chunks(ops: Ops) -> list[Ops]:
    """`ops` cut after sequence markers into lists of about `CHUNK_OPS` (each applied atomically)."""
    out: list[Ops] = []
    start = 0
    for at, op in enumerate(ops):
        if op[0] == "M" and at + 1 - start >= CHUNK_OPS:
            out.append(ops[start:at + 1])
            start = at + 1
    if start < len(ops):
        out.append(ops[start:])
    return out


async def apply(redis: aioredis.Redis, ops: Ops) -> None:
    """Apply `ops` in order, chunk by chunk, in one pipeline (each chunk atomic)."""
    await redis_scripts.execute(redis, lambda pipe: queue_apply(pipe, ops), SCRIPT)


def queue_apply(pipe: Pipeline, ops: Ops) -> None:
    """`apply` queued on a pipeline the caller executes through ``redis_scripts.execute`` with `SCRIPT`."""
    for part in chunks(ops):
        SCRIPT.queue(pipe, (), (orjson.dumps(part),))


def _write(ops: Ops, instrument: str, event: core.Event) -> None:
    match event:
        case core.BookDelta():
            levels = keys.levels(instrument, event.side)
            if event.quantity:
                ops.append(["H", levels, str(event.price), f"{event.quantity}:{event.order_count}"])
            else:
                ops.append(["D", levels, str(event.price)])
        case core.OrderAccepted():
            ops.append(["H", keys.order_state(event.order_id), "status", keys.NEW, "leaves", str(event.quantity),
                        "filled", "0", "instrument", instrument])
            if event.order_type != "MARKET" and event.time_in_force not in ("IOC", "FOK"):
                _rest(ops, instrument, event.order_id, event.side, event.price, event.quantity, event.account)
        case core.TradeExecuted():
            _fill(ops, instrument, event.buy_order_id, event.quantity, event.buy_leaves_quantity)
            _fill(ops, instrument, event.sell_order_id, event.quantity, event.sell_leaves_quantity)
            trade = {"trade_id": event.trade_id, "price": event.price, "quantity": event.quantity,
                     "aggressor_side": event.aggressor_side, "at": event.ts}
            ops.append(["H", keys.last_trade(instrument), "trade_id", event.trade_id, "price", str(event.price),
                        "quantity", str(event.quantity), "aggressor_side", event.aggressor_side or "", "at", str(event.ts)])
            ops.append(["L", keys.recent_trades(instrument), orjson.dumps(trade).decode(), keys.RECENT_TRADES])
        case core.OrderAmended():
            ops.append(["H", keys.order_state(event.order_id), "leaves", str(event.quantity), "price", str(event.price)])
            _rest(ops, instrument, event.order_id, event.side, event.price, event.quantity, event.account)
        case core.OrderCancelled():
            _close(ops, instrument, event.order_id, keys.CANCELLED, event.reason)
        case core.OrderExpired():
            _close(ops, instrument, event.order_id, keys.EXPIRED, "EXPIRED")
        case core.OrderRejected():
            _close(ops, instrument, event.order_id, keys.REJECTED, event.reason)
        case core.PhaseChanged():
            ops.append(["S", keys.phase(instrument), event.phase])
        case core.ReferencePriceChanged():
            ops.append(["S", keys.reference_price(instrument), str(event.price)])
            clip = "" if event.clip_low is None else f"{event.clip_low}:{event.clip_high}"
            ops.append(["S", keys.session_clip(instrument), clip])
        case core.BandOverrideChanged():
            override = "" if event.low is None else orjson.dumps(
                {"low": event.low, "high": event.high, "reason": event.reason, "pinned": event.pinned,
                 "at": event.ts}).decode()
            ops.append(["S", keys.band_override(instrument), override])


def _rest(ops: Ops, instrument: str, order_id: str, side: str, price: int | None, quantity: int,
          account: str) -> None:
    ops.append(["H", keys.resting_orders(instrument), order_id,
                orjson.dumps({"side": side, "price": price, "quantity": quantity, "account": account}).decode()])


def _fill(ops: Ops, instrument: str, order_id: str, quantity: int, leaves: int) -> None:
    ops.append(["F", keys.order_state(order_id), str(quantity), str(leaves),
                keys.FILLED if leaves == 0 else keys.PARTIALLY_FILLED, keys.resting_orders(instrument), order_id])


def _close(ops: Ops, instrument: str, order_id: str, status: str, reason: str) -> None:
    ops.append(["H", keys.order_state(order_id), "status", status, "leaves", "0", "reason", reason])
    ops.append(["D", keys.resting_orders(instrument), order_id])


# Every value is a string. H key f v ...: HSET; D key f: HDEL; S key v: SET (M: the same, for the mirrored
# sequence number, where a chunk may end); L key v max: LPUSH then LTRIM to max;
# F state qty leaves status resting id: a fill (filled += qty, leaves, status; the resting order's open
# quantity rewritten inside its JSON, or removed when nothing is left; absent if it never rested).
_APPLY = """
local ops = cjson.decode(ARGV[1])
for _, op in ipairs(ops) do
  local kind = op[1]
  if kind == 'H' then
    redis.call('HSET', unpack(op, 2))
  elseif kind == 'D' then
    redis.call('HDEL', op[2], op[3])
  elseif kind == 'S' or kind == 'M' then
    redis.call('SET', op[2], op[3])
  elseif kind == 'L' then
    redis.call('LPUSH', op[2], op[3])
    redis.call('LTRIM', op[2], 0, op[4] - 1)
  elseif kind == 'F' then
    redis.call('HINCRBY', op[2], 'filled', op[3])
    redis.call('HSET', op[2], 'leaves', op[4], 'status', op[5])
    if op[4] == '0' then
      redis.call('HDEL', op[6], op[7])
    else
      local raw = redis.call('HGET', op[6], op[7])
      if raw then
        local order = cjson.decode(raw)
        order['quantity'] = tonumber(op[4])
        redis.call('HSET', op[6], op[7], cjson.encode(order))
      end
    end
  end
end
return #ops
"""

SCRIPT = PipelinedScript(_APPLY)
