"""The operator console's audit is a read model: order entry shows the latest audit the audit tooling recorded
(``carbonlink audit``) and runs none itself."""

from __future__ import annotations

import pytest
import redis

from carbonlink.audit.ledger import AuditReport, CheckResult
from carbonlink.audit.publish import publish_audit
from tests.integration.order_entry.conftest import Exchange

pytestmark = pytest.mark.integration


async def test_before_any_audit_operators_are_told_to_run_one(exchange: Exchange) -> None:
    response = await exchange.client.get("/v1/admin/audit", headers=exchange.operator)
    assert (response.status_code, response.json()["code"]) == (404, "AUDIT_NOT_RECORDED")


async def test_operators_see_the_latest_recorded_audit_and_traders_do_not(
        exchange: Exchange, redis_client: redis.Redis) -> None:
    publish_audit(redis_client, AuditReport(checks=(CheckResult(name="cash", ok=True, summary={"currencies": 1}),)))
    failing = CheckResult(name="units", ok=False, problems=[{"registry": "CN-BJ", "missing": 5}])
    view = publish_audit(redis_client, AuditReport(checks=(failing,)))

    latest = await exchange.client.get("/v1/admin/audit", headers=exchange.operator)
    trader = await exchange.trader("alpha-desk", "CN-BJ/alpha")
    forbidden = await exchange.client.get("/v1/admin/audit", headers=trader)

    assert latest.status_code == 200
    assert latest.json() == {"ok": False, "computed_at": view.computed_at, "checks": [
        {"name": "units", "ok": False, "summary": {}, "problems": [{"registry": "CN-BJ", "missing": 5}]}]}
    assert forbidden.status_code == 403
