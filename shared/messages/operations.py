"""What operators watch: oversight's alerts, the services' heartbeats and the dead letters of unreadable
records."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.messages.vocabulary import Id, Message

__all__ = ["AlertRaised", "DeadLettered", "ServiceHeartbeat"]


class AlertRaised(Message):
    """A surveillance finding of oversight: a stable code, a severity and the events that triggered it.

    ``alert_id`` is derived from the evidence, so replaying the same events raises the same alert again.
    """

    alert_id: Id
    code: str
    severity: Literal["LOW", "MEDIUM", "HIGH"]
    subject: str
    owner: str = ""
    evidence: list[str]
    raised_at: int = Field(ge=0, description="business time of the event that completed the evidence")
    summary: str
    details: dict[str, str | int] = Field(default_factory=dict)


class ServiceHeartbeat(Message):
    service: str
    instance: str
    pid: int


class DeadLettered(Message):
    source_topic: str
    partition: int
    offset: int
    reason: str
    raw: str
