"""`carbonlink keys create --role operator`: mint an API key straight into Redis (bootstrap) and print it once."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
import typer

from services.order_entry.principals import PrincipalStore, Role
from shared.settings import load_settings

app = typer.Typer(help="API keys of Carbonlink principals.", no_args_is_help=True)


async def create_key(redis_url: str, *, role: Role, principal: str) -> tuple[str, str]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        return await PrincipalStore(client).create_key(principal=principal, role=role)
    finally:
        await client.aclose()


@app.command()
def create(
    role: Role = typer.Option(..., help="trader, operator or auditor"),
    principal: str = typer.Option("", help="the principal the key belongs to (default: the role's name)"),
) -> None:
    """Create a key; it is printed once and only its sha256 is stored."""
    try:
        key_id, api_key = asyncio.run(create_key(load_settings().redis_url, role=role, principal=principal or str(role)))
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"key id: {key_id}", err=True)
    typer.echo(api_key)
