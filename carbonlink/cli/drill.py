"""`carbonlink drill run SCENARIO [--speed N] [--out DIR]`: a simulation drill against the running stack."""

from __future__ import annotations

from pathlib import Path

import typer

from carbonlink.drill.apply import SetupError
from carbonlink.drill.runner import DrillAborted, run_drill
from carbonlink.drill.scenario import ScenarioError
from shared.settings import load_settings

app = typer.Typer(help="Simulation drills with simulated traders acting through the API.", no_args_is_help=True)


@app.command()
def run(
    scenario: Path = typer.Argument(..., exists=True, dir_okay=False, help="the scenario YAML file"),
    speed: int = typer.Option(None, min=1, help="at most this many business seconds per wall second (to watch live; default: as fast as the exchange goes)"),
    out: Path = typer.Option(Path("var/drill"), help="directory for report.html, plots, summary.json and CSVs"),
    quiet: bool = typer.Option(False, help="no live progress display"),
) -> None:
    """Apply the scenario, run its phases, audit the books and write the report; exit 1 if the audit fails."""
    try:
        result = run_drill(load_settings(), scenario, speed=speed, out_dir=out, quiet=quiet)
    except ScenarioError as err:
        typer.echo(f"scenario refused, nothing created:\n{err}", err=True)
        raise typer.Exit(2) from None
    except DrillAborted as err:
        typer.echo(f"drill aborted: {err}\nreport (with the error and the audit): {err.result.report.resolve()}",
                   err=True)
        raise typer.Exit(1) from None
    except SetupError as err:
        typer.echo(f"the exchange refused the scenario: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"report: {result.report.resolve()}")
    for phase in result.summary["phases"]:
        efficiency = phase["efficiency"]
        typer.echo(f"  {phase['phase']}: efficiency {'n/a' if efficiency is None else f'{efficiency:.1%}'}")
    typer.echo(f"audit: {'passed' if result.audit_ok else 'FAILED'}")
    raise typer.Exit(0 if result.audit_ok else 1)
