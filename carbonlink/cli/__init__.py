"""`carbonlink`: the one operator command line (typer)."""

from __future__ import annotations

import typer

from carbonlink.cli import audit, bench, bridge, drill, keys, matching, run, scenario, stack, topics

app = typer.Typer(help="Carbonlink: an exchange for linked carbon markets.", no_args_is_help=True)
app.add_typer(stack.app, name="stack")
app.add_typer(topics.app, name="topics")
app.add_typer(keys.app, name="keys")
app.add_typer(scenario.app, name="scenario")
app.add_typer(drill.app, name="drill")
app.add_typer(matching.app, name="matching")
app.add_typer(bridge.app, name="bridge")
app.add_typer(bench.app, name="bench")
app.command("audit")(audit.audit)
app.command("run")(run.run)
