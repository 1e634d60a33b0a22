"""`carbonlink run` (what `make run` does): bring up the embedded stack, run the default drill, stop the stack.

A drill measures a fresh exchange: the stack runs in its own state directory (`var/drill-run`), whose Redis
data is cleared before each run, so an operator's stack under `var/` is never touched and a second run does
not inherit the first one's accounts, balances and used quotas.
"""

from __future__ import annotations

import shutil
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
    speed: int = typer.Option(None, min=1, help="at most this many business seconds per wall second (to watch live; default: as fast as the exchange goes)"),
) -> None:
    """The main job, end to end; leaves no process running. Exit 0 only if the drill ran and the audit passed."""
    base = load_settings()
    settings = base.model_copy(update={"var_dir": base.var_dir / "drill-run"})
    stack = Stack(settings)
    if stack.running_pid("redis") is None:
        shutil.rmtree(settings.var_dir / "redis", ignore_errors=True)
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
