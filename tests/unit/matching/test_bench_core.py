"""The core benchmark's streams, its plain yardstick and its report (smoke tests; the numbers are not asserted)."""

from carbonlink.bench.core import run_core_benchmark
from carbonlink.bench.plain_matcher import PlainMatcher
from carbonlink.bench.streams import deep_book_stream, generate_stream
from services.matching.core import CancelOrder, TradeExecuted

from tests.unit.matching.support import make_engine


def test_the_standard_stream_is_deterministic_for_a_seed():
    assert generate_stream(2_000, seed=3) == generate_stream(2_000, seed=3)
    assert generate_stream(2_000, seed=3) != generate_stream(2_000, seed=4)


def test_the_deep_book_stream_builds_a_deep_book_and_names_dead_orders():
    stream = deep_book_stream(5_000, seed=3, depth=10_000)
    assert stream == deep_book_stream(5_000, seed=3, depth=10_000)
    engine = make_engine()
    for command in stream[:10_000]:
        engine.handle(command)
    levels = len(engine.book.bids.levels) + len(engine.book.asks.levels)
    assert len(engine.orders) == 10_000 and levels >= 200
    cancelled = set()
    named_dead = 0
    for command in stream[10_000:]:
        if type(command) is CancelOrder:
            named_dead += command.order_id in cancelled
            cancelled.add(command.order_id)
    assert named_dead > 0


def test_the_plain_matcher_makes_the_same_trades_as_the_core_on_both_streams():
    for stream in (generate_stream(4_000, seed=5), deep_book_stream(4_000, seed=5, depth=2_000)):
        engine, plain = make_engine(), PlainMatcher()
        trades = []
        for command in stream:
            plain.handle(command)
            trades.extend((e.buy_order_id, e.sell_order_id, e.price, e.quantity, e.aggressor_side)
                          for e in engine.handle(command) if type(e) is TradeExecuted)
        assert trades == plain.trades and trades
        assert sorted(engine.orders) == sorted(plain.orders)


def test_the_benchmark_reports_throughput_latency_and_the_ratio_to_the_plain_matcher():
    for deep in (False, True):
        report = run_core_benchmark(n_orders=3_000, seed=7, deep=deep)
        assert report["trades"] > 0 and report["trades"] == report["plain_trades"]
        assert report["orders_per_second"] > 0 and report["ratio_to_plain"] > 0
        assert 0 < report["p50_us"] <= report["p99_us"] <= report["p99_9_us"]
