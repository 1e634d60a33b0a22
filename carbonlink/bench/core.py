"""Benchmark of the pure matching core on a seeded stream, beside the plain matcher on the same stream.

Core and plain matcher run alternately, three times each, on fresh books; each figure is the best of its three
(the machine is shared: the best run is the one least disturbed). The garbage collector is off and everything
built before the timed loops is frozen, so no run pays for collecting the stream or another run's garbage.
`ratio_to_plain` is the core's orders/s over the plain matcher's (1.0: as fast as a matcher with no events).
Per-command latency percentiles come from a further, individually timed pass of the core.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import contextmanager
from time import perf_counter, perf_counter_ns

from carbonlink.bench.plain_matcher import PlainMatcher
from carbonlink.bench.streams import deep_book_stream, generate_stream
from services.matching.core import InstrumentRules, MatchingEngine
from services.matching.core.vocabulary import CONTINUOUS

RUNS = 3


def run_core_benchmark(n_orders: int = 200_000, seed: int = 7, *, deep: bool = False) -> dict:
    """The standard stream (or, with `deep`, the deep-book stream) through the core and the plain matcher."""
    stream = deep_book_stream(n_orders, seed) if deep else generate_stream(n_orders, seed)
    with _quiet_heap():
        core_seconds, plain_seconds = [], []
        for _ in range(RUNS):
            engine = MatchingEngine(InstrumentRules(instrument="BENCH"), phase=CONTINUOUS)
            core_seconds.append(_timed(engine.handle, stream))
            plain = PlainMatcher()
            plain_seconds.append(_timed(plain.handle, stream))
        latencies = _latencies(stream)
    seconds, plain_best = min(core_seconds), min(plain_seconds)

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] / 1000

    report = {
        "orders": len(stream),
        "seconds": seconds,
        "orders_per_second": len(stream) / seconds,
        "plain_orders_per_second": len(stream) / plain_best,
        "ratio_to_plain": plain_best / seconds,
        "p50_us": percentile(0.50),
        "p99_us": percentile(0.99),
        "p99_9_us": percentile(0.999),
        "trades": engine.trade_seq,
        "resting_orders": len(engine.orders),
        "plain_trades": len(plain.trades),
        "gc": "off while timed",
    }
    if deep:
        report["prefill_orders"] = len(stream) - n_orders
    return report


def _timed(handle: Callable[[object], object], stream: list[object]) -> float:
    started = perf_counter()
    for command in stream:
        handle(command)
    return perf_counter() - started


def _latencies(stream: list[object]) -> list[int]:
    handle = MatchingEngine(InstrumentRules(instrument="BENCH"), phase=CONTINUOUS).handle
    clock = perf_counter_ns
    latencies = []
    record = latencies.append
    for command in stream:
        before = clock()
        handle(command)
        record(clock() - before)
    latencies.sort()
    return latencies


@contextmanager
def _quiet_heap():
    collecting = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
        gc.collect()
