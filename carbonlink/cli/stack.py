"""`carbonlink stack up | down | status | restart`: the embedded stack on this machine."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from carbonlink.stack import Stack
from shared.settings import load_settings

app = typer.Typer(help="Start, stop and inspect the embedded stack (broker, Redis, services).", no_args_is_help=True)
console = Console()


@app.command()
def up(timeout: float = typer.Option(30.0, help="seconds to wait for every component to be healthy")) -> None:
    """Start whatever is not running yet, create the topics, and wait until every service consumes."""
    stack = Stack(load_settings())
    try:
        stack.up(say=console.print, timeout=timeout)
    except Exception as err:
        console.print(f"[red]stack up failed:[/red] {err}")
        raise typer.Exit(1) from None
    _print_status(stack)


@app.command()
def down() -> None:
    """Stop exactly the processes `up` started, in reverse order."""
    Stack(load_settings()).down(say=console.print)


@app.command()
def restart(
    component: str = typer.Argument(None, help="a component `stack status` lists (a service name stands for all "
                                               "its instances, e.g. matching); every component when omitted"),
    timeout: float = typer.Option(60.0, help="seconds to wait for every component to be healthy again"),
) -> None:
    """Stop COMPONENT (or everything) if it still runs, start whatever is not running, and wait until every
    service consumes again. After a crash, `restart` with no argument (or `up`) is all an operator needs."""
    stack = Stack(load_settings())
    try:
        stack.restart(component, say=console.print, timeout=timeout)
    except Exception as err:
        console.print(f"[red]stack restart failed:[/red] {err}")
        raise typer.Exit(1) from None
    _print_status(stack)


@app.command()
def status() -> None:
    """A table of components, pids, addresses, health and where each service serves its Prometheus metrics;
    exit 1 if anything is unhealthy."""
    if not _print_status(Stack(load_settings())):
        raise typer.Exit(1)


def _print_status(stack: Stack) -> bool:
    rows = stack.status()
    table = Table("component", "pid", "address", "health", "detail", "metrics")
    for row in rows:
        health = "[green]healthy[/green]" if row.healthy else "[red]unhealthy[/red]"
        table.add_row(row.name, str(row.pid or "-"), row.address, health, row.detail, row.metrics)
    console.print(table)
    return all(row.healthy for row in rows)
