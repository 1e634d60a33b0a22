"""``GET /v1/admin/audit`` (operators and auditors): the latest audit of the books — ledger, trades, bridge reconciliation —
as the audit tooling recorded it (``carbonlink audit`` writes the ``shared.read_models.audit`` read model).
Order entry runs no audit itself."""

from __future__ import annotations

from fastapi import APIRouter

from services.order_entry.deps import OperatorOrAuditor, PortsDep
from services.order_entry.errors import ApiError, error_responses
from shared.read_models import audit as audit_model

router = APIRouter(prefix="/v1/admin", tags=["admin: operations"], responses=error_responses(401, 403, 404, 429, 503))


@router.get("/audit", response_model=audit_model.AuditView)
async def latest_audit(_: OperatorOrAuditor, ports: PortsDep) -> audit_model.AuditView:
    """``{"ok", "checks": [...], "computed_at" (unix ms)}`` of the latest audit; 404 ``AUDIT_NOT_RECORDED``
    before the first one."""
    raw = await ports.ctx.redis.get(audit_model.LATEST)
    if raw is None:
        raise ApiError(404, "AUDIT_NOT_RECORDED", "no audit recorded yet: run `carbonlink audit`")
    return audit_model.decode(raw)
