"""`carbonlink bridge reconcile`: do the registries' journals, the bridge's audit log and net flows agree?"""

from __future__ import annotations

import typer

from carbonlink.cli.reports import print_report
from carbonlink.audit.reconciliation import reconcile as reconcile_bridge
from shared.settings import load_settings

app = typer.Typer(help="The cross-registry bridge.", no_args_is_help=True)


@app.command()
def reconcile() -> None:
    """JSON report on stdout; exit 0 when every registry agrees with the bridge, 1 otherwise."""
    print_report(load_settings(), reconcile_bridge)
