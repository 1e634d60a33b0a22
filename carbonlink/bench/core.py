"""Benchmark of the pure matching core: a seeded standard order stream, throughput and per-command latency."""

from __future__ import annotations

import random
from time import perf_counter, perf_counter_ns

from services.matching.core import (AmendOrder, CancelOrder, InstrumentRules, MatchingEngine, SubmitOrder)
from services.matching.core.vocabulary import BUY, CONTINUOUS, FOK, GTC, IOC, LIMIT, MARKET, POST_ONLY, SELL

MID = 10_000
ACCOUNTS = tuple(f"CN-BJ/trader-{n}" for n in range(50)) + tuple(f"KR/trader-{n}" for n in range(50))


def generate_stream(n_orders: int = 200_000, seed: int = 7) -> list[object]:
    """A deterministic mixed stream of `n_orders` commands around a slowly drifting mid price.

    Roughly: 52% resting limit adds (some crossing), 14% cancels, 10% amends, 8% IOC, 4% FOK,
    7% market, 5% post-only.
    """
    rng = random.Random(seed)
    mid = MID
    live: list[str] = []
    stream: list[object] = []
    for n in range(n_orders):
        ts = n
        if n % 100 == 0:
            mid += rng.randint(-5, 5)
        roll = rng.random()
        if roll < 0.14 and live:
            stream.append(CancelOrder(order_id=live.pop(rng.randrange(len(live))), ts=ts))
            continue
        if roll < 0.24 and live:
            order_id = live[rng.randrange(len(live))]
            if rng.random() < 0.5:
                stream.append(AmendOrder(order_id=order_id, quantity=rng.randint(1, 20), ts=ts))
            else:
                stream.append(AmendOrder(order_id=order_id, price=mid + rng.randint(-30, 30),
                                         quantity=rng.randint(1, 50), ts=ts))
            continue
        side = BUY if rng.random() < 0.5 else SELL
        away = rng.randint(-8, 40)  # negative: crosses the mid
        price = mid - away if side == BUY else mid + away
        order_id = f"o{n}"
        account = ACCOUNTS[rng.randrange(len(ACCOUNTS))]
        quantity = rng.randint(1, 50)
        if roll < 0.76:
            order_type, tif = LIMIT, GTC
            live.append(order_id)
            if len(live) > 20_000:
                live.pop(0)
        elif roll < 0.84:
            order_type, tif = LIMIT, IOC
        elif roll < 0.88:
            order_type, tif = LIMIT, FOK
        elif roll < 0.95:
            order_type, tif, price = MARKET, IOC, None
        else:
            order_type, tif = POST_ONLY, GTC
            live.append(order_id)
        stream.append(SubmitOrder(order_id=order_id, account=account, side=side, quantity=quantity, price=price,
                                  order_type=order_type, time_in_force=tif, ts=ts))
    return stream


def run_core_benchmark(n_orders: int = 200_000, seed: int = 7) -> dict:
    """Orders/s of the core over the standard stream, then p50/p99/p99.9 latency per command (µs) in a second,
    individually timed pass on a fresh engine."""
    stream = generate_stream(n_orders, seed)
    rules = InstrumentRules(instrument="BENCH")

    engine = MatchingEngine(rules, phase=CONTINUOUS)
    handle = engine.handle
    started = perf_counter()
    for command in stream:
        handle(command)
    seconds = perf_counter() - started

    engine = MatchingEngine(rules, phase=CONTINUOUS)
    handle = engine.handle
    clock = perf_counter_ns
    latencies = []
    record = latencies.append
    for command in stream:
        before = clock()
        handle(command)
        record(clock() - before)
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] / 1000

    return {
        "orders": len(stream),
        "seconds": seconds,
        "orders_per_second": len(stream) / seconds,
        "p50_us": percentile(0.50),
        "p99_us": percentile(0.99),
        "p99_9_us": percentile(0.999),
        "trades": engine.trade_seq,
        "resting_orders": len(engine.orders),
    }
