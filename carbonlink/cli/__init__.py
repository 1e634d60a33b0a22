"""`carbonlink`: the one operator command line (typer)."""

from __future__ import annotations

import typer

from carbonlink.cli import stack, topics

app = typer.Typer(help="Carbonlink: an exchange for linked carbon markets.", no_args_is_help=True)
app.add_typer(stack.app, name="stack")
app.add_typer(topics.app, name="topics")
