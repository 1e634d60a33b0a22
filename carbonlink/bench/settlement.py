"""The settlement benchmark: synthetic domestic trades through a running stack's broker, Redis and settlement.

Sets up a fresh buyer and seller in CN-BJ, their orders' reservations directly in the ledger and a fresh
instrument in the reference store, publishes N ``TradeExecuted`` on `orders.events` (as matching would),
and reads `settlement.events` until every trade is settled: trades settled per second (first publish to
last settlement) and the p50/p99 latency from publishing a trade to reading its ``TradeSettled``.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import redis.asyncio as aioredis
from aiokafka import TopicPartition

from shared import redis_keys
from shared.envelope import decode, encode
from shared.fees import FeeSchedule, buy_reservation
from shared.kafka import make_consumer, make_producer
from shared.ledger import AccountType, AsyncLedger
from shared.ledger.entries import reserve_for_order
from shared.messages import envelope_for, payload_of
from shared.messages.order_events import TradeExecuted
from shared.messages.post_trade import TradeSettled
from shared.messages.vocabulary import Side
from shared.reference import Fees, Instrument, UnitClass
from shared.reference_store import ReferenceStore
from shared.settings import Settings
from shared.topics import ORDERS_EVENTS, SETTLEMENT_EVENTS

REGISTRY = "CN-BJ"
UNIT = UnitClass(origin=REGISTRY, type="ALLOWANCE", vintage=2025)
FEES = FeeSchedule(maker_bps=5, taker_bps=10, min_fee=1)
LIMIT_PRICE = 5_000
TRADE_PRICE = 4_990
FILLS_PER_ORDER = 100


def run_settlement_benchmark(settings: Settings, n_trades: int = 20_000) -> dict:
    """Push ``n_trades`` synthetic domestic trades through the running stack's settlement service."""
    return asyncio.run(_run(settings, n_trades))


def _percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


async def _run(settings: Settings, n_trades: int) -> dict:
    run = uuid.uuid4().hex[:8]
    instrument_id = f"BENCH-{run}"
    buyer, seller = f"{REGISTRY}/bench-{run}-buyer", f"{REGISTRY}/bench-{run}-seller"
    client = aioredis.Redis.from_url(settings.redis_url)
    producer = make_producer(settings, client_id=f"bench-{run}", service="matching")
    producer.pokes = client  # wakes a dozing settlement as matching's sends would (shared.wakeup)
    reader = make_consumer(settings, group_id=None, client_id=f"bench-reader-{run}")
    try:
        trades = await _set_up(client, instrument_id=instrument_id, buyer=buyer, seller=seller, n_trades=n_trades)
        await producer.start()
        await reader.start()
        partitions = [TopicPartition(SETTLEMENT_EVENTS.name, p)
                      for p in sorted(await producer.partitions_for(SETTLEMENT_EVENTS.name))]
        reader.assign(partitions)
        await reader.seek_to_end(*partitions)
        for tp in partitions:
            await reader.position(tp)

        sent_at: dict[str, float] = {}
        started = time.perf_counter()
        for trade in trades:
            envelope = envelope_for(trade, event_id=f"{instrument_id}:{trade.trade_seq}", occurred_at=int(time.time() * 1000),
                                    correlation_id=trade.trade_id)
            sent_at[trade.trade_id] = time.perf_counter()
            await producer.send(ORDERS_EVENTS.name, encode(envelope), key=instrument_id.encode())
        await producer.flush()
        published = time.perf_counter()

        latencies: list[float] = []
        seen: set[str] = set()
        last = started
        deadline = time.monotonic() + max(60.0, n_trades / 500)
        while len(seen) < n_trades and time.monotonic() < deadline:
            batches = await reader.getmany(timeout_ms=200, max_records=5000)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    envelope = decode(record.value)
                    if envelope.type != "TradeSettled":
                        continue
                    event = payload_of(envelope)
                    assert isinstance(event, TradeSettled)
                    if event.instrument != instrument_id or event.trade_id in seen:
                        continue
                    seen.add(event.trade_id)
                    latencies.append((now - sent_at[event.trade_id]) * 1000)
                    last = now
        latencies.sort()
        elapsed = last - started
        return {
            "trades": n_trades,
            "settled": len(seen),
            "publish_s": round(published - started, 3),
            "elapsed_s": round(elapsed, 3),
            "trades_settled_per_s": round(len(seen) / elapsed) if elapsed > 0 else None,
            "latency_ms_p50": round(_percentile(latencies, 0.50), 1) if latencies else None,
            "latency_ms_p99": round(_percentile(latencies, 0.99), 1) if latencies else None,
            "target_per_s": 5_000,
        }
    finally:
        await reader.stop()
        await producer.stop()
        await client.aclose()


async def _set_up(client: aioredis.Redis, *, instrument_id: str, buyer: str, seller: str,
                  n_trades: int) -> list[TradeExecuted]:
    """Accounts funded for every order, every order reserved, the instrument listed; the trades to publish."""
    ledger = AsyncLedger(client)
    if not await client.sismember(redis_keys.REGISTRIES, REGISTRY):
        await ledger.open_registry(REGISTRY, currency="CNY")
    for account in (buyer, seller):
        await ledger.open_account(account, account_type=AccountType.HOLDING, holder=account)
    n_orders = -(-n_trades // FILLS_PER_ORDER)
    per_buy = buy_reservation(FEES, limit_price=LIMIT_PRICE, quantity=FILLS_PER_ORDER)
    now = int(time.time() * 1000)
    for result in (
        await ledger.deposit(entry_id=f"bench-cash:{instrument_id}", account=buyer, currency="CNY",
                             amount=per_buy * n_orders, time=now),
        await ledger.issue(entry_id=f"bench-units:{instrument_id}", registry=REGISTRY, unit_class=UNIT.asset,
                           qty=FILLS_PER_ORDER * n_orders, to_account=seller, time=now),
    ):
        assert result.ok, result
    reservations = []
    for k in range(n_orders):
        reservations.append(reserve_for_order(order_id=f"{instrument_id}-b{k}", account=buyer, asset="C:CNY",
                                              amount=per_buy, limit_price=LIMIT_PRICE, quantity=FILLS_PER_ORDER,
                                              time=now))
        reservations.append(reserve_for_order(order_id=f"{instrument_id}-s{k}", account=seller, asset=UNIT.asset,
                                              amount=FILLS_PER_ORDER, quantity=FILLS_PER_ORDER, time=now))
    for start in range(0, len(reservations), 1000):
        assert all(r.ok for r in await ledger.post_many(reservations[start : start + 1000]))
    await ReferenceStore(client).put_instrument(Instrument(
        id=instrument_id, registry=REGISTRY, currency="CNY", unit=UNIT, tick=1, lot=1,
        fees=Fees(maker_bps=FEES.maker_bps, taker_bps=FEES.taker_bps, min_fee=FEES.min_fee)))
    trades = []
    for seq in range(1, n_trades + 1):
        k, fill = divmod(seq - 1, FILLS_PER_ORDER)
        leaves = FILLS_PER_ORDER - fill - 1
        buy_order, sell_order = f"{instrument_id}-b{k}", f"{instrument_id}-s{k}"
        trades.append(TradeExecuted(
            trade_id=f"{instrument_id}:T{seq}", instrument=instrument_id, trade_seq=seq, price=TRADE_PRICE,
            quantity=1, aggressor_side=Side.BUY, maker_order_id=sell_order, taker_order_id=buy_order,
            maker_account=seller, taker_account=buyer, buy_order_id=buy_order, sell_order_id=sell_order,
            buy_account=buyer, sell_account=seller, buy_leaves_quantity=leaves, sell_leaves_quantity=leaves))
    return trades
