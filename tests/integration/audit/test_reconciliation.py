"""Reconciliation proves the registries' journals, the audit log and the net-flow counters agree."""

from __future__ import annotations

import pytest
import redis

from services.bridge import bridge_keys
from services.bridge.decisions import Bridge
from carbonlink.audit.reconciliation import reconcile
from shared.ledger import Ledger
from tests.integration.bridge.books import BJ_UNIT, SELLER, held_trade

pytestmark = pytest.mark.integration


@pytest.fixture
async def settled(bridge: Bridge, ledger: Ledger) -> Ledger:
    for n in range(3):
        assert (await bridge.handle(held_trade(ledger, n, qty=100 * (n + 1)))).outcome == "APPROVED"
    return ledger


async def test_reconciliation_passes_after_approved_deliveries(settled: Ledger, redis_client: redis.Redis) -> None:
    report = reconcile(redis_client)

    assert report.ok, report.discrepancies
    assert (report.approvals, report.bridge_entries) == (3, 3)
    assert report.flows["CN-BJ>KR"]["consumed"] == 600 and report.flows["CN-BJ>KR"]["gross"] == 1_200


async def test_a_bridge_account_moved_outside_a_delivery_is_a_discrepancy(
    settled: Ledger, redis_client: redis.Redis
) -> None:
    assert settled.transfer(entry_id="leak", from_account="CN-BJ/BRIDGE", to_account=SELLER, asset=BJ_UNIT, qty=5,
                            time=9).ok

    problems = {p["problem"] for p in reconcile(redis_client).discrepancies}

    assert "BRIDGE account moved outside a bridge delivery" in problems
    assert "BRIDGE movements differ from the approvals" in problems


async def test_tampered_net_flow_counters_are_a_discrepancy(settled: Ledger, redis_client: redis.Redis) -> None:
    redis_client.hincrby(bridge_keys.NETFLOW, bridge_keys.netflow_field("CN-BJ", "KR", "delivered"), 1)

    report = reconcile(redis_client)

    assert not report.ok
    assert [p["direction"] for p in report.discrepancies] == ["CN-BJ>KR"]


async def test_a_lost_audit_record_is_a_discrepancy(settled: Ledger, redis_client: redis.Redis) -> None:
    first_id = redis_client.xrange(bridge_keys.AUDIT_STREAM, count=1)[0][0]
    redis_client.xdel(bridge_keys.AUDIT_STREAM, first_id)

    problems = {p["problem"] for p in reconcile(redis_client).discrepancies}

    assert "in a journal but not approved in the audit log" in problems
