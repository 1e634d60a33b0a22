"""`carbonlink bench ...`: the benchmarks that check speed targets (never timed unit tests)."""

from __future__ import annotations

import orjson
import typer
from rich.console import Console

from services.matching.bench_core import run_core_benchmark
from services.matching.bench_service import run_service_benchmark

app = typer.Typer(help="Benchmarks: numbers to record in closing notes.", no_args_is_help=True)
console = Console()


def _show(name: str, result: dict) -> None:
    console.print(f"[bold]{name}[/bold]")
    typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


@app.command()
def matching(orders: int = typer.Option(200_000, help="commands in the seeded stream for the core"),
             service_orders: int = typer.Option(20_000, help="commands sent through the service path"),
             seed: int = typer.Option(7)) -> None:
    """The pure core (target ≥ 300,000 orders/s), then the service path Kafka in → Redis mirror → events out on a
    private stack: at full speed (target ≥ 30,000 orders/s) and paced at 5,000 orders/s (target p99 ≤ 20 ms)."""
    _show("matching core", run_core_benchmark(n_orders=orders, seed=seed))
    _show("matching service, full speed", run_service_benchmark(n_orders=service_orders, seed=seed))
    _show("matching service, paced 5,000/s", run_service_benchmark(n_orders=service_orders // 2, rate=5000, seed=seed))


@app.command("all")
def run_all() -> None:
    """Every benchmark in turn."""
    matching(orders=200_000, service_orders=20_000, seed=7)
