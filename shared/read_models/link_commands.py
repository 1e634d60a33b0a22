"""Read model of operators' link commands (suspend, resume, terminate) and what the bridge did with each.

Owner: the bridge, which executes the commands order entry publishes on ``bridge.commands`` and writes each
result once, in the same transaction as its record on the ``bridge:audit`` stream. Readers: order entry
(``GET /v1/admin/links/commands/{command_id}``), drills, the operator console.

Key layout: ``bridge:link-command:{command_id}`` — one JSON document, a ``LinkCommandResult``; it also tells the
bridge that a redelivered command was already executed. The link's new state is in its stored terms
(``shared.reference_store``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.read_models.linkage import PairFlowView


def result_key(command_id: str) -> str:
    return f"bridge:link-command:{command_id}"


class MassCancelView(BaseModel):
    """A ``MassCancel`` the bridge sent: resting orders of ``registry``'s accounts on ``instrument``."""

    instrument: str
    registry: str


class LinkCommandResult(BaseModel):
    """What a link command did, and the net flow between the link's registries at that moment."""

    model_config = ConfigDict(frozen=True)

    command_id: str
    link_id: str
    command: str = Field(description="SuspendLink, ResumeLink or TerminateLink")
    outcome: Literal["DONE", "REFUSED"]
    code: str = Field(default="", description="why a command was refused: LINK_NOT_FOUND, LINK_TERMINATED")
    status: str = Field(default="", description="the link's status after the command")
    at: int = Field(description="business time of the command, ms")
    suspended_at: int | None = None
    refused: list[str] = Field(default_factory=list,
                               description="trades parked for a window that the policy refused at once")
    settling: list[str] = Field(default_factory=list,
                                description="trades parked for a window that the policy still lets settle")
    mass_cancels: list[MassCancelView] = Field(default_factory=list,
                                               description="resting foreign orders cancelled, per instrument")
    net_flows: list[PairFlowView] = Field(default_factory=list)


def encode(result: LinkCommandResult) -> bytes:
    return result.model_dump_json().encode()


def decode(raw: bytes | str) -> LinkCommandResult:
    return LinkCommandResult.model_validate_json(raw)
