"""`carbonlink run` (what `make run` does): bring up the embedded stack, run the default drill, stop the stack."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from carbonlink.drill.runner import DrillAborted, run_drill
from carbonlink.stack import Stack
from shared.settings import load_settings

console = Console()

DEFAULT_SCENARIO = Path("scenarios/pilot-cities.yaml")


def run(
    scenario: Path = typer.Option(DEFAULT_SCENARIO, exists=True, dir_okay=False, help="the drill's scenario"),
    out: Path = typer.Option(Path("reports/latest"), help="where the report goes"),
    speed: int = typer.Option(None, min=1, help="business seconds per wall second (default: the scenario's)"),
) -> None:
    """The main job, end to end; leaves no process running. Exit 0 only if the drill ran and the audit passed."""
    settings = load_settings()
    stack = Stack(settings)
    try:
        stack.up(say=console.print, timeout=60)
        result = run_drill(settings, scenario, speed=speed, out_dir=out, quiet=False)
    except DrillAborted as err:
        console.print(f"[red]drill aborted:[/red] {err}")
        result = err.result
    finally:
        stack.down(say=console.print)
    console.print(f"report: {result.report.resolve()}")
    if result.audit_ok is not True:
        console.print("[red]the audit found the books out of balance[/red]")
    if result.audit_ok is not True or result.interrupted or result.summary.get("error"):
        raise typer.Exit(1)
