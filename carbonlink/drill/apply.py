"""Applying a scenario through the operator HTTP API (also `carbonlink scenario load FILE.yaml`).

The whole plan is built, and so the scenario checked, before the first call goes out; then the calls
run in order and the first refusal stops the load with the API's error code and message.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from carbonlink.drill.scenario import Scenario
from carbonlink.drill.setup_plan import ApiCall, Member, bridge_periods, roster, setup_plan

__all__ = ["SetupError", "apply_scenario", "call_api", "next_periods"]


class SetupError(RuntimeError):
    """The operator API refused a call of the plan."""

    def __init__(self, call: ApiCall, status: int, body: str) -> None:
        self.call, self.status, self.body = call, status, body
        super().__init__(f"{call.method} {call.path} refused ({status}): {body[:500]}")


async def call_api(client: httpx.AsyncClient, call: ApiCall) -> dict[str, Any]:
    """One call with ``client`` (which carries the operator's key); its JSON answer, or SetupError.

    A dropped connection is retried once: the drill's operator calls are safe to repeat (references, ids
    and states make them idempotent; a repeated surrender is refused by the obligation cap)."""
    try:
        response = await client.request(call.method, call.path, json=call.body or None)
    except httpx.TransportError:  # a keep-alive connection the loaded server dropped: one retry
        await asyncio.sleep(0.2)
        response = await client.request(call.method, call.path, json=call.body or None)
    if response.status_code >= 300:
        raise SetupError(call, response.status_code, response.text)
    return response.json() if response.content else {}


def next_periods(*, horizon_s: int = 86_400) -> list[str]:
    """The bridge's compliance periods of business time from now to ``horizon_s`` seconds ahead."""
    now = time.time_ns() // 1_000_000
    return bridge_periods(now, now + horizon_s * 1000)


async def apply_scenario(client: httpx.AsyncClient, scenario: Scenario, *,
                         members: list[Member] | None = None, periods: list[str] | None = None) -> dict[str, str]:
    """Create the scenario's registries, instruments, links, traders' keys and accounts, cash and units.

    Returns each trader principal's API key. ``members`` defaults to the scenario's roster. The entities'
    obligations are recorded for the bridge ``periods`` (default: those of the next day of business time).
    """
    members = roster(scenario) if members is None else members
    if periods is None:
        periods = next_periods()
    plan = setup_plan(scenario, members, periods=periods)
    keys: dict[str, str] = {}
    for call in plan:
        answer = await call_api(client, call)
        if call.key_for is not None:
            keys[call.key_for] = answer["api_key"]
    return keys
