"""``GET /v1/admin/audit`` (operators and auditors): the latest audit of the books — the same checks as ``carbonlink audit``
(ledger, trades, bridge reconciliation) — run in a thread with a synchronous Redis client, and cached for a
few seconds so a console left open does not keep the machine auditing."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import redis
from fastapi import APIRouter, Request

from services.bridge.reconciliation import reconciliation_check
from services.order_entry.deps import OperatorOrAuditor
from services.order_entry.errors import error_responses
from services.settlement.trade_audit import run_audit
from shared.settings import Settings

router = APIRouter(prefix="/v1/admin", tags=["admin: operations"], responses=error_responses(401, 403, 429, 503))

CACHE_SECONDS = 5.0


@dataclass
class AuditCache:
    """The last result and when it was computed; the lock makes concurrent callers share one run."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    result: dict[str, Any] | None = None
    computed_at: float = 0.0


def audit_now(settings: Settings) -> dict[str, Any]:
    """One full audit (blocking): the report as a dict."""
    client = redis.Redis.from_url(settings.redis_url)
    try:
        report = run_audit(client, pending_timeout_s=settings.settlement_pending_timeout_s,
                           bridge_checks=[reconciliation_check])
        return report.to_dict()
    finally:
        client.close()


def _cache(request: Request) -> AuditCache:
    state = request.app.state
    if not hasattr(state, "audit_cache"):
        state.audit_cache = AuditCache()
    return state.audit_cache


@router.get("/audit")
async def latest_audit(_: OperatorOrAuditor, request: Request) -> dict[str, Any]:
    """``{"ok", "checks": [...], "computed_at" (unix ms), "cached"}``; at most one audit per few seconds."""
    cache = _cache(request)
    async with cache.lock:
        cached = cache.result is not None and time.monotonic() - cache.computed_at < CACHE_SECONDS
        if not cached:
            cache.result = {**await asyncio.to_thread(audit_now, request.app.state.ctx.settings),
                            "computed_at": time.time_ns() // 1_000_000}
            cache.computed_at = time.monotonic()
    return {**cache.result, "cached": cached}
