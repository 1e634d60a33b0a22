"""`carbonlink bridge reconcile`: do the registries' journals, the bridge's audit log and net flows agree?"""

from __future__ import annotations

import orjson
import redis
import typer

from services.bridge.reconciliation import reconcile as reconcile_bridge
from shared.settings import load_settings

app = typer.Typer(help="The cross-registry bridge.", no_args_is_help=True)


@app.command()
def reconcile() -> None:
    """JSON report on stdout; exit 0 when every registry agrees with the bridge, 1 otherwise."""
    settings = load_settings()
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port, socket_timeout=10, socket_connect_timeout=2)
    try:
        report = reconcile_bridge(client)
    except redis.RedisError as err:
        typer.echo(orjson.dumps({"ok": False, "error": f"Redis at {settings.redis_url} unavailable: {err}"}).decode())
        raise typer.Exit(1) from None
    finally:
        client.close()
    typer.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    raise typer.Exit(0 if report.ok else 1)
