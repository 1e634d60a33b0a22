"""`carbonlink bench e2e`: the whole path, an order accepted by the HTTP API to its trade settled, at a paced rate.

Crossing limit orders (buy, sell, buy, ... at the reference price, one lot each) go through `http_load` at `rate`
orders/s from a pool of connections; each sell meets the buy before it, so every pair makes one trade. The
bench reads `orders.events` (which order made which trade) and `settlement.events` (the trade's
``TradeSettled``) on the instrument's partitions, and reports, per trade, the time from the moment its taker
order's 201 arrived to the moment its ``TradeSettled`` was read (target p99 ≤ 50 ms at 500 orders/s), beside
the accept latency and the client's own CPU.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from carbonlink.bench.http_load import HttpLoad
from carbonlink.bench.orders import OrderTally, percentile, set_up_trader
from shared.settings import Settings
from shared.topics import ORDERS_EVENTS, SETTLEMENT_EVENTS, partitions_for

TICK_S = 0.002  # pacing granularity


def run_order_to_settled_benchmark(settings: Settings, api_key: str, *, instrument: str, orders: int = 5000,
                                   rate: float = 500.0, connections: int = 16, settle_wait_s: float = 20.0) -> dict:
    """Synchronous entry for the CLI; `api_key` is an operator key (the bench creates its own trader)."""
    return asyncio.run(_run(settings, api_key, instrument=instrument, orders=orders, rate=rate,
                            connections=connections, settle_wait_s=settle_wait_s))


async def _run(settings: Settings, api_key: str, *, instrument: str, orders: int, rate: float, connections: int,
               settle_wait_s: float) -> dict[str, Any]:
    run = secrets.token_hex(3)
    base_url = settings.order_entry_url
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        spec, trader, accounts = await set_up_trader(client, {"X-API-Key": api_key}, instrument, run)
    if spec["unit"]["origin"] != spec["registry"]:
        raise ValueError(f"{instrument} trades units from another registry: the bench cannot sell them")
    digits = {"JPY": 0, "KRW": 0}.get(spec["currency"], 2)
    price_text = f"{spec['reference_price'] / 10**digits:.{digits}f}"
    quantity = max(spec["lot"], spec["min_quantity"])

    tally = OrderTally()
    taker_of: dict[str, str] = {}  # trade id -> the order whose arrival made it
    settled_at: dict[str, float] = {}
    consumer = await _events_consumer(settings, instrument.encode())
    stop = asyncio.Event()
    reader = asyncio.create_task(_read_events(consumer, instrument, taker_of, settled_at, stop))
    load = HttpLoad(base_url, connections=connections, headers=trader)

    async def place(n: int) -> None:
        sell = n % 2 == 1
        body = {"instrument": instrument, "account": accounts[1 if sell else 0], "side": "SELL" if sell else "BUY",
                "type": "LIMIT", "time_in_force": "GTC", "price": price_text, "quantity": quantity,
                "client_order_id": f"e{run}-{n}"}
        await tally.place(load, body)

    cpu_started, started = time.process_time(), time.perf_counter()
    try:
        placing = []
        per_tick, n, tick = rate * TICK_S, 0, 0
        while n < orders:
            tick += 1
            until = min(orders, round(tick * per_tick))
            while n < until:
                placing.append(asyncio.create_task(place(n)))
                n += 1
            await asyncio.sleep(max(0.0, started + tick * TICK_S - time.perf_counter()))
        offered_s = time.perf_counter() - started
        await asyncio.gather(*placing)
        sent_s = time.perf_counter() - started
        deadline = time.perf_counter() + settle_wait_s
        while time.perf_counter() < deadline and len(settled_at) < orders // 2:
            await asyncio.sleep(0.05)
    finally:
        load.close()
        stop.set()
        await reader
        await consumer.stop()
    client_cpu = time.process_time() - cpu_started
    elapsed = time.perf_counter() - started

    settled_ms = [(settled_at[t] - tally.accepted_at[o]) * 1000 for t, o in taker_of.items()
                  if t in settled_at and o in tally.accepted_at]
    return {
        "orders": orders, "rate": rate, "connections": connections, "accepted": len(tally.accept_ms),
        "refused": tally.refused,
        "offered_per_s": round(orders / offered_s, 1),
        "accepted_per_s": round(len(tally.accept_ms) / sent_s, 1), "trades": len(taker_of), "settled": len(settled_ms),
        "accept_p50_ms": percentile(tally.accept_ms, 0.50), "accept_p99_ms": percentile(tally.accept_ms, 0.99),
        "settled_p50_ms": percentile(settled_ms, 0.50), "settled_p99_ms": percentile(settled_ms, 0.99),
        "target_settled_p99_ms": 50,
        "client_cpu_ms_per_order": round(client_cpu * 1000 / orders, 3) if orders else None,
        "client_cpu_share": round(client_cpu / elapsed, 3) if elapsed else None,
    }


async def _events_consumer(settings: Settings, key: bytes) -> AIOKafkaConsumer:
    """A consumer on the instrument's partition of `orders.events` and `settlement.events`, at their ends."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                fetch_max_wait_ms=settings.fetch_max_wait_ms)
    await consumer.start()
    tps = []
    for topic in (ORDERS_EVENTS, SETTLEMENT_EVENTS):
        partitions = list(range(partitions_for(topic, settings.default_partitions)))
        tps.append(TopicPartition(topic.name, DefaultPartitioner()(key, partitions, partitions)))
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    return consumer


async def _read_events(consumer: AIOKafkaConsumer, instrument: str, taker_of: dict[str, str],
                       settled_at: dict[str, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=50)
        now = time.perf_counter()
        for records in batches.values():
            for record in records:
                event = orjson.loads(record.value)
                kind, payload = event.get("type"), event.get("payload") or {}
                if payload.get("instrument") != instrument:
                    continue
                if kind == "TradeExecuted":
                    taker_of[payload["trade_id"]] = payload["taker_order_id"]
                elif kind == "TradeSettled":
                    settled_at.setdefault(payload["trade_id"], now)
