"""Benchmark of the matching core on a seeded stream, beside the plain matcher on the same stream.

Both builds of the core (the pure-Python reference and, when built and current, the compiled copy: see
`services.matching.core.selection`) and the plain matcher run alternately, three times each, on fresh books; each
figure is the best of its three in CPU time (the machine is shared: the best run is the one least disturbed). The
garbage collector is off and everything built before the timed loops is frozen, so no run pays for collecting the
stream or another run's garbage. `ratio_to_plain` is the core's orders/s over the plain matcher's (1.0: as fast as
a matcher with no events) for `build`, the build `MatchingEngine` resolves to (the one the service runs);
`pure_ratio_to_plain` and `compiled_ratio_to_plain` give both. Per-command latency percentiles come from a
further, individually timed pass of `build`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import contextmanager
from time import perf_counter_ns, process_time

from carbonlink.bench.plain_matcher import PlainMatcher
from carbonlink.bench.streams import deep_book_stream, generate_stream
from services.matching.core import BUILD, InstrumentRules, MatchingEngine
from services.matching.core.engine import MatchingEngine as PureEngine
from services.matching.core.selection import compiled_engine_module
from services.matching.core.vocabulary import CONTINUOUS

RUNS = 3


def run_core_benchmark(n_orders: int = 200_000, seed: int = 7, *, deep: bool = False) -> dict:
    """The standard stream (or, with `deep`, the deep-book stream) through each build of the core and the plain
    matcher."""
    stream = deep_book_stream(n_orders, seed) if deep else generate_stream(n_orders, seed)
    compiled, why_not = compiled_engine_module()
    builds = {"pure": PureEngine, **({"compiled": compiled.MatchingEngine} if compiled is not None else {})}
    with _quiet_heap():
        seconds: dict[str, list[float]] = {name: [] for name in (*builds, "plain")}
        for _ in range(RUNS):
            for name, engine_class in builds.items():
                engine = engine_class(InstrumentRules(instrument="BENCH"), phase=CONTINUOUS)
                seconds[name].append(_timed(engine.handle, stream))
                if name == BUILD:
                    trades, resting = engine.trade_seq, len(engine.orders)
            plain = PlainMatcher()
            seconds["plain"].append(_timed(plain.handle, stream))
        latencies = _latencies(stream)
    best = {name: min(runs) for name, runs in seconds.items()}

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] / 1000

    report = {
        "build": BUILD,
        "orders": len(stream),
        "seconds": best[BUILD],
        "orders_per_second": len(stream) / best[BUILD],
        "plain_orders_per_second": len(stream) / best["plain"],
        "ratio_to_plain": best["plain"] / best[BUILD],
        "pure_ratio_to_plain": best["plain"] / best["pure"],
        "compiled_ratio_to_plain": (best["plain"] / best["compiled"] if compiled is not None
                                    else f"not measured: the compiled core is {why_not}"),
        "p50_us": percentile(0.50),
        "p99_us": percentile(0.99),
        "p99_9_us": percentile(0.999),
        "trades": trades,
        "resting_orders": resting,
        "plain_trades": len(plain.trades),
        "gc": "off while timed",
        "clock": "CPU time of this process",
    }
    if deep:
        report["prefill_orders"] = len(stream) - n_orders
    return report


def _timed(handle: Callable[[object], object], stream: list[object]) -> float:
    started = process_time()
    for command in stream:
        handle(command)
    return process_time() - started


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
