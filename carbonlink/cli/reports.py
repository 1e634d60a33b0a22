"""Commands that compute a JSON report from Redis and exit 0 when it is `ok`, 1 otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import redis
import typer

from shared.settings import Settings


def print_report(settings: Settings, compute: Callable[[redis.Redis], Any]) -> None:
    """Run `compute` on a client of the stack's Redis; print its `to_dict()` and exit with its verdict."""
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port, socket_timeout=10, socket_connect_timeout=2)
    try:
        report = compute(client)
    except redis.RedisError as err:
        typer.echo(orjson.dumps({"ok": False, "error": f"Redis at {settings.redis_url} unavailable: {err}"}).decode())
        raise typer.Exit(1) from None
    finally:
        client.close()
    typer.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    raise typer.Exit(0 if report.ok else 1)
