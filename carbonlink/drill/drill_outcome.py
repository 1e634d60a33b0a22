"""What a drill run ends with: the books audited, the economics computed, the report written.

:class:`DrillResult` is what ``run_drill`` returns; :class:`DrillAborted` what it raises when an operator call
failed mid-run (trading stopped, and the audit and report still ran).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from carbonlink.audit.ledger import audit_ledger
from carbonlink.drill import manipulators
from carbonlink.drill.apply import SetupError
from carbonlink.drill.journal import DrillJournal
from carbonlink.drill.metrics import compute_metrics
from carbonlink.drill.report import write_report
from carbonlink.drill.scenario import Scenario
from carbonlink.drill.setup_plan import Member
from shared.settings import Settings

__all__ = ["DrillAborted", "DrillResult", "finish"]


@dataclass(frozen=True)
class DrillResult:
    out_dir: Path
    report: Path
    summary: dict[str, Any]
    audit_ok: bool | None
    interrupted: bool


class DrillAborted(SetupError):
    """An operator call failed mid-run: trading stopped, the books were audited and the report (naming
    the error) written; ``result`` is that run's result."""

    def __init__(self, cause: SetupError, result: DrillResult) -> None:
        super().__init__(cause.call, cause.status, cause.body)
        self.result = result

    def __str__(self) -> str:
        return f"{super().__str__()} (the drill stopped; report with the error: {self.result.report})"


async def finish(settings: Settings, out: Path, scenario: Scenario, members: list[Member], journal: DrillJournal,
                 alerts: dict[str, dict[str, int]]) -> DrillResult:
    """Audit the books, compute the metrics and write the report (with the surveillance alerts per phase)."""
    journal.audit = await asyncio.to_thread(_audit, settings)
    metrics = compute_metrics(scenario, members, journal)
    summary = write_report(out, scenario, journal, metrics)
    manipulators.report_alerts(out, summary, alerts)
    return DrillResult(out, out / "report.html", summary, summary["audit_ok"], journal.interrupted)


def _audit(settings: Settings) -> dict[str, Any]:
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port, socket_timeout=30)
    try:
        return audit_ledger(client).to_dict()
    except redis.RedisError as err:
        return {"ok": False, "error": str(err)}
    finally:
        client.close()
