"""Write an audit report into the ``audit:latest`` read model (``shared.read_models.audit``)."""

from __future__ import annotations

import time

import redis

from carbonlink.audit.ledger import AuditReport
from shared.read_models import audit as audit_model


def audit_view(report: AuditReport, *, computed_at: int) -> audit_model.AuditView:
    return audit_model.AuditView.model_validate({**report.to_dict(), "computed_at": computed_at})


def publish_audit(client: redis.Redis, report: AuditReport) -> audit_model.AuditView:
    """Record ``report`` as the latest audit, stamped with the wall-clock time now."""
    view = audit_view(report, computed_at=time.time_ns() // 1_000_000)
    client.set(audit_model.LATEST, audit_model.encode(view))
    return view
