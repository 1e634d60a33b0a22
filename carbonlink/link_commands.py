"""Operators' link commands from the tooling (drills): send one through the operator API and wait until the bridge
has executed it, so a step that suspends a link ends only once the link is suspended."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

POLL_S = 0.05


class LinkCommandFailed(RuntimeError):
    """The operator API refused the command, the bridge refused it, or no result came in time."""


async def run_link_command(client: httpx.AsyncClient, link_id: str, action: str, *,
                           timeout_s: float = 60.0) -> dict[str, Any]:
    """``action`` is ``suspend``, ``resume`` or ``terminate``; ``client`` carries an operator's key. Returns the
    bridge's result (``shared.read_models.link_commands.LinkCommandResult`` as JSON)."""
    accepted = await client.post(f"/v1/admin/links/{link_id}/{action}", json={})
    if accepted.status_code != 202:
        raise LinkCommandFailed(f"{action} {link_id} refused ({accepted.status_code}): {accepted.text[:500]}")
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        answer = await client.get(accepted.json()["result"])
        if answer.status_code == 200:
            result = answer.json()
            if result["outcome"] != "DONE":
                raise LinkCommandFailed(f"the bridge refused to {action} {link_id}: {result['code']}")
            return result
        if answer.status_code != 404 or answer.json().get("code") != "LINK_COMMAND_PENDING":
            raise LinkCommandFailed(f"{action} {link_id}: {answer.status_code} {answer.text[:500]}")
        if asyncio.get_running_loop().time() > deadline:
            raise LinkCommandFailed(f"the bridge did not {action} {link_id} within {timeout_s:.0f} s")
        await asyncio.sleep(POLL_S)
