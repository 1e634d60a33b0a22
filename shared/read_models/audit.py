"""Read model of the latest audit of the books (ledger, trades, bridge reconciliation, stranded state).

Owner: the audit tooling (``carbonlink audit``, ``carbonlink.audit``), which writes every report it computes.
Readers: order entry's operator console (``GET /v1/admin/audit``).

Key layout: ``audit:latest`` — one JSON document, an ``AuditView``; replaced by each audit.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

LATEST = "audit:latest"


class CheckView(BaseModel):
    """One audit check: whether it passed, a summary, and the first problems found."""

    model_config = ConfigDict(frozen=True)

    name: str
    ok: bool
    summary: dict[str, Any] = Field(default_factory=dict)
    problems: list[dict[str, Any]] = Field(default_factory=list)


class AuditView(BaseModel):
    """A whole audit: ``ok`` when every check passed; ``computed_at`` in unix ms (wall clock of the auditor)."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    checks: list[CheckView]
    computed_at: int


def encode(view: AuditView) -> bytes:
    return view.model_dump_json().encode()


def decode(raw: bytes | str) -> AuditView:
    return AuditView.model_validate_json(raw)
