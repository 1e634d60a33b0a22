"""`carbonlink audit`: prove the books balance; JSON summary on stdout, exit 0 when they do and 1 otherwise."""

from __future__ import annotations

import orjson
import redis
import typer

from services.bridge.reconciliation import reconciliation_check
from services.settlement.trade_audit import run_audit
from shared.settings import load_settings


def audit() -> None:
    """Units, cash, reservations, journals, trade states and the bridge reconciliation (works with the stack running or stopped, as long as Redis answers)."""
    settings = load_settings()
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port, socket_timeout=10, socket_connect_timeout=2)
    try:
        report = run_audit(client, pending_timeout_s=settings.settlement_pending_timeout_s,
                           bridge_checks=[reconciliation_check])
    except redis.RedisError as err:
        typer.echo(orjson.dumps({"ok": False, "error": f"Redis at {settings.redis_url} unavailable: {err}"}).decode())
        raise typer.Exit(1) from None
    finally:
        client.close()
    typer.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    raise typer.Exit(0 if report.ok else 1)
