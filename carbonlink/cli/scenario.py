"""`carbonlink scenario load FILE.yaml`: create a scenario's markets, links, traders and units through the
operator API (markets opened for continuous trading); `carbonlink scenario check FILE.yaml` validates only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import redis.asyncio as aioredis
import typer

from carbonlink.drill.apply import SetupError, apply_scenario
from carbonlink.drill.scenario import ScenarioError, load_scenario
from carbonlink.drill.setup_plan import minor_price
from services.order_entry.principals import PrincipalStore, Role
from shared.money import from_minor
from shared.settings import Settings, load_settings

app = typer.Typer(help="Drill scenarios.", no_args_is_help=True)

File = typer.Argument(..., exists=True, dir_okay=False, help="the scenario YAML file")


async def _load(settings: Settings, path: Path) -> dict[str, str]:
    scenario = load_scenario(path)
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        _, key = await PrincipalStore(client).create_key(principal="scenario-loader", role=Role.OPERATOR)
    finally:
        await client.aclose()
    async with httpx.AsyncClient(base_url=settings.order_entry_url, headers={"X-API-Key": key}, timeout=15) as http:
        keys = await apply_scenario(http, scenario)
        for instrument in scenario.instruments:
            reference = from_minor(minor_price(scenario, instrument.id), instrument.currency)
            response = await http.post(f"/v1/admin/instruments/{instrument.id}/phase",
                                       json={"phase": "CONTINUOUS", "reference_price": reference})
            response.raise_for_status()
    return keys


@app.command()
def check(path: Path = File) -> None:
    """Validate a scenario file; every problem names its line and field."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{scenario.name}: {len(scenario.registries)} registries, {len(scenario.instruments)} instruments, "
               f"{len(scenario.linkages)} linkages, {len(scenario.phases)} phases")


@app.command()
def load(path: Path = File) -> None:
    """Create the scenario on the running stack and print each trader principal's API key."""
    try:
        keys = asyncio.run(_load(load_settings(), path))
    except ScenarioError as err:
        typer.echo(f"scenario refused, nothing created:\n{err}", err=True)
        raise typer.Exit(2) from None
    except (SetupError, httpx.HTTPError) as err:
        typer.echo(f"the exchange refused the scenario: {err}", err=True)
        raise typer.Exit(1) from None
    for principal, key in keys.items():
        typer.echo(f"{principal}\t{key}")
