"""The core benchmark's stream and report (a smoke test; the numbers themselves are not asserted)."""

from carbonlink.bench.core import generate_stream, run_core_benchmark


def test_the_standard_stream_is_deterministic_for_a_seed():
    assert generate_stream(2_000, seed=3) == generate_stream(2_000, seed=3)
    assert generate_stream(2_000, seed=3) != generate_stream(2_000, seed=4)


def test_the_benchmark_reports_throughput_and_latency_percentiles():
    report = run_core_benchmark(n_orders=3_000, seed=7)
    assert report["orders"] == 3_000 and report["trades"] > 0
    assert report["orders_per_second"] > 0 and 0 < report["p50_us"] <= report["p99_us"] <= report["p99_9_us"]
