"""`carbonlink bench ...`: the benchmarks that check speed targets (never timed unit tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import typer
from rich.console import Console

from carbonlink.cli.keys import create_key
from carbonlink.stack import Stack

from carbonlink.bench.broker_cost import run_broker_benchmark
from carbonlink.bench.core import run_core_benchmark
from carbonlink.bench.idle import first_after_idle, sample_idle
from carbonlink.bench.matching_service import run_service_benchmark
from carbonlink.bench.profiling import profile_services
from carbonlink.bench.order_to_settled import run_order_to_settled_benchmark
from carbonlink.bench.orders import run_orders_benchmark
from services.order_entry.principals import Role
from carbonlink.bench.settlement import run_settlement_benchmark
from shared.settings import load_settings

app = typer.Typer(help="Benchmarks: numbers to record in closing notes.", no_args_is_help=True)
console = Console()


def _show(name: str, result: dict) -> None:
    console.print(f"[bold]{name}[/bold]")
    typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


@app.command()
def matching(orders: int = typer.Option(200_000, help="commands in the seeded stream for the core"),
             service_orders: int = typer.Option(20_000, help="commands sent through the service path"),
             seed: int = typer.Option(7),
             core_only: bool = typer.Option(False, "--core-only", help="only the two core parts (no stack)"),
             service_only: bool = typer.Option(False, "--service-only", help="only the two service parts")) -> None:
    """The core (both builds: pure Python and compiled) beside a plain dict+deque matcher on the standard and the
    deep-book stream (target: core ≥ 0.8× plain on the deep book), then the service path Kafka in → Redis mirror → events out on a private stack: at
    full speed (target ≥ 30,000 orders/s) and paced at 5,000 orders/s (target p99 ≤ 20 ms)."""
    if not service_only:
        _show("matching core", run_core_benchmark(n_orders=orders, seed=seed))
        _show("matching core, deep book", run_core_benchmark(n_orders=orders, seed=seed + 4, deep=True))
    if core_only:
        return
    _show("matching service, full speed", run_service_benchmark(n_orders=service_orders, seed=seed))
    _show("matching service, paced 5,000/s", run_service_benchmark(n_orders=service_orders // 2, rate=5000, seed=seed))


@app.command()
def broker(records: int = typer.Option(20_000, help="records per batch size (fewer for the small ones)"),
           size: int = typer.Option(400, help="bytes per record (an execution report is 230-560)")) -> None:
    """The embedded broker's CPU per record produced and fetched, by records per produce batch, and what consumers
    fetching a quiet topic cost it, against a private broker (no stack)."""
    _show("broker CPU per record", run_broker_benchmark(records=records, size=size))


@app.command()
def settlement(trades: int = typer.Option(20_000, help="synthetic matched domestic trades")) -> None:
    """Trades settled per second and p50/p99 trade → settled latency against the running stack (target ≥ 5,000/s)."""
    _show("settlement", run_settlement_benchmark(load_settings(), n_trades=trades))


@app.command()
def orders(api_key: str = typer.Option(..., envvar="CARBONLINK_OPERATOR_KEY", help="an operator key (carbonlink keys create --role operator)"),
           instrument: str = typer.Option("BENCH-ORDERS", help="instrument the benchmark lists for itself"),
           count: int = typer.Option(5000, help="orders to place"),
           concurrency: int = typer.Option(32, help="concurrent HTTP clients")) -> None:
    """Accepted orders/s, p50/p99 accept latency and accept → WebSocket execution report, against the running stack
    (target ≥ 2,000 orders/s with p99 accept ≤ 25 ms)."""
    result = run_orders_benchmark(load_settings().order_entry_url, api_key, instrument=instrument, orders=count,
                                  concurrency=concurrency)
    _show("order entry", result)


@app.command()
def e2e(api_key: str = typer.Option(..., envvar="CARBONLINK_OPERATOR_KEY", help="an operator key (carbonlink keys create --role operator)"),
        instrument: str = typer.Option("BENCH-ORDERS", help="instrument the benchmark lists for itself"),
        count: int = typer.Option(5000, help="orders to place (every second one makes a trade)"),
        rate: float = typer.Option(500.0, help="orders per second"),
        connections: int = typer.Option(16, help="keep-alive HTTP connections")) -> None:
    """Order accepted → trade settled p50/p99 at a paced rate against the running stack (target p99 ≤ 50 ms at
    500 orders/s), with the accept latency and the client's own CPU per order."""
    result = run_order_to_settled_benchmark(load_settings(), api_key, instrument=instrument, orders=count, rate=rate,
                                            connections=connections)
    _show("order → settled, paced 500/s" if rate == 500 else f"order → settled, paced {rate:g}/s", result)


@app.command()
def idle(seconds: float = typer.Option(60.0, help="how long to sample the idle stack"),
         api_key: str = typer.Option("", envvar="CARBONLINK_OPERATOR_KEY",
                                     help="an operator key: also time the first trade after each quiet spell"),
         instrument: str = typer.Option("BENCH-ORDERS", help="instrument the probe lists for itself"),
         pairs: int = typer.Option(5, help="crossing buy/sell pairs, each after a quiet spell"),
         idle_s: float = typer.Option(5.0, help="the quiet spell before each pair")) -> None:
    """The running stack's CPU while idle, per component as % of one core (target: the stack < 5%), then, given an
    operator key, accepted → settled of one trade after each of `pairs` quiet spells."""
    _show("idle stack", sample_idle(Stack(load_settings()), seconds=seconds))
    if api_key:
        _show("first trade after idle", first_after_idle(load_settings(), api_key, instrument=instrument,
                                                         pairs=pairs, idle_s=idle_s))


@app.command("all")
def run_all() -> None:
    """Every benchmark in turn (what `make bench` runs): matching on its own private stack, then settlement, order
    entry and order → settled on the embedded stack, which is started for them if it is not running and stopped
    after."""
    matching(orders=200_000, service_orders=20_000, seed=7, core_only=False, service_only=False)
    settings = load_settings()
    stack = Stack(settings)
    started_here = stack.running_pid("order_entry") is None
    try:
        stack.up(say=console.print, timeout=60)
        settlement(trades=20_000)
        _, api_key = asyncio.run(create_key(settings.redis_url, role=Role.OPERATOR, principal="bench"))
        orders(api_key=api_key, instrument="BENCH-ORDERS", count=3000, concurrency=16)
        e2e(api_key=api_key, instrument="BENCH-ORDERS", count=5000, rate=500.0, connections=16)
    finally:
        if started_here:
            stack.down(say=console.print)


@app.command()
def profile(out: Path = typer.Option(Path("reports/profile"), help="where py-spy's raw samples and the summary go"),
            seconds: int = typer.Option(240, help="longest time to sample"),
            trades: int = typer.Option(10_000), count: int = typer.Option(2000, help="orders for each order benchmark")) -> None:
    """py-spy on every service while the settlement, order entry and order → settled benchmarks run (what `make
    profile` runs; needs py-spy in the venv): each service's top frames, own and inclusive. The stack is started
    if it is not running and stopped after."""
    settings = load_settings()
    stack = Stack(settings)
    started_here = stack.running_pid("order_entry") is None
    try:
        stack.up(say=console.print, timeout=60)
        pids = {name: pid for name in stack.components() if name not in ("redis", "broker")
                and (pid := stack.running_pid(name)) is not None}
        _, api_key = asyncio.run(create_key(settings.redis_url, role=Role.OPERATOR, principal="bench"))

        def work() -> None:
            settlement(trades=trades)
            orders(api_key=api_key, instrument="BENCH-ORDERS", count=count, concurrency=16)
            e2e(api_key=api_key, instrument="BENCH-ORDERS", count=count, rate=500.0, connections=16)

        summary = profile_services(pids, out, work, seconds=seconds)
    finally:
        if started_here:
            stack.down(say=console.print)
    (out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    for name, frames in summary.items():
        _show(f"profile: {name}", frames)
