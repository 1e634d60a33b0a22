"""Linkage through the API: operators suspend, resume and terminate links with commands the bridge executes;
anyone reads the agreements with their quota use, the net flows, the adjustments and the levy accounts."""

from __future__ import annotations

import httpx
import pytest

from services.bridge import rules
from services.bridge.agreements import directed_rules
from shared.periods import calendar_year
from shared.read_models import linkage
from shared.reference import LinkageTerms
from shared.runtime import business_now_ms
from tests.integration.order_entry.conftest import Exchange

pytestmark = pytest.mark.integration

BJ_KR = {"id": "BJ-KR", "kind": "UNILATERAL", "from_registry": "CN-BJ", "to_registry": "KR",
         "exchange_rate": "2", "discount": "0.05", "levy_share": "0.05", "cancellation_share": "0.02",
         "delivered_type": "CONVERTED", "caps": {"per_period": 1_000}}


def test_stored_terms_map_the_delivered_type_into_the_rule_engine_conversion() -> None:
    [converted] = directed_rules(LinkageTerms(**BJ_KR))
    [kept] = directed_rules(LinkageTerms(**{**BJ_KR, "delivered_type": None}))

    assert converted.conversion.delivered_type is rules.UnitType.CONVERTED
    assert kept.conversion.delivered_type is None


async def test_suspending_a_link_is_a_command_the_bridge_executes_and_reports_with_the_net_flow(
        exchange: Exchange, bridge: None) -> None:
    await exchange.admin("links", BJ_KR)

    suspended = await exchange.link_command("BJ-KR", "suspend")
    again = await exchange.link_command("BJ-KR", "suspend")

    assert (suspended["outcome"], suspended["status"], suspended["command"]) == ("DONE", "SUSPENDED", "SuspendLink")
    assert suspended["suspended_at"] == suspended["at"]
    assert suspended["mass_cancels"] == [{"instrument": "BJEA-2025", "registry": "KR"}]
    assert suspended["refused"] == [] and suspended["settling"] == []
    [pair] = suspended["net_flows"]
    assert (pair["registry_a"], pair["registry_b"], pair["net_out_of_a"]) == ("CN-BJ", "KR", 0)
    assert again["suspended_at"] == suspended["suspended_at"]
    stored = (await exchange.client.get("/v1/admin/links/BJ-KR", headers=exchange.operator)).json()
    assert stored["status"] == "SUSPENDED"


async def test_a_resumed_link_is_active_and_a_terminated_one_cannot_come_back(
        exchange: Exchange, bridge: None) -> None:
    await exchange.admin("links", BJ_KR)
    await exchange.link_command("BJ-KR", "suspend")

    resumed = await exchange.link_command("BJ-KR", "resume")
    terminated = await exchange.link_command("BJ-KR", "terminate")
    refused = await exchange.client.post("/v1/admin/links/BJ-KR/resume", headers=exchange.operator)

    assert (resumed["status"], resumed["suspended_at"], resumed["mass_cancels"]) == ("ACTIVE", None, [])
    assert terminated["status"] == "TERMINATED"
    assert refused.status_code == 409 and refused.json()["code"] == "LINK_TERMINATED"


async def test_a_command_the_bridge_has_not_executed_is_pending(exchange: Exchange) -> None:
    pending = await exchange.client.get(f"/v1/admin/links/commands/{'0' * 32}", headers=exchange.operator)

    assert pending.status_code == 404 and pending.json()["code"] == "LINK_COMMAND_PENDING"


async def test_link_actions_need_an_operator_and_a_known_link(exchange: Exchange) -> None:
    await exchange.admin("links", BJ_KR)
    auditor = await exchange.key("watcher", "auditor")

    unknown = await exchange.client.post("/v1/admin/links/NOPE/suspend", headers=exchange.operator)
    forbidden = await exchange.client.post("/v1/admin/links/BJ-KR/suspend", headers=auditor)
    anonymous = await exchange.client.post("/v1/admin/links/BJ-KR/terminate")

    assert unknown.status_code == 404 and unknown.json()["code"] == "LINK_NOT_FOUND"
    assert forbidden.status_code == 403 and anonymous.status_code == 401
    assert (await exchange.client.get("/v1/links/BJ-KR")).json()["status"] == "ACTIVE"


async def test_anyone_reads_the_agreements_with_their_terms_and_live_quota_use_and_reservations(exchange: Exchange, redis_client) -> None:
    await exchange.admin("links", BJ_KR)
    period = calendar_year(business_now_ms())
    redis_client.hset(linkage.quota_key(period), linkage.link_field("BJ-KR", "CN-BJ", "KR"), 372)
    redis_client.hset(linkage.quota_key(period), linkage.reserved_field(linkage.link_field("BJ-KR", "CN-BJ", "KR")), 28)

    [link] = (await exchange.client.get("/v1/links")).json()
    earlier = (await exchange.client.get("/v1/links/BJ-KR", params={"period": period - 1})).json()

    assert (link["kind"], link["status"], link["limits"]["per_period"]) == ("UNILATERAL", "ACTIVE", 1_000)
    assert link["conversion"] == {"exchange_rate": "2", "reverse_exchange_rate": None, "discount": "1/20",
                                  "factor": "19/10", "delivered_type": "CONVERTED"}
    assert link["levies"] == {"share_of_proceeds": "1/20", "cancellation_share": "1/50"}
    assert link["directions"] == [{"from_registry": "CN-BJ", "to_registry": "KR", "factor": "19/10",
                                   "quota": {"period": period, "cap": 1_000, "used": 372, "reserved": 28,
                                             "remaining": 600}}]
    assert earlier["directions"][0]["quota"]["used"] == 0


async def test_anyone_reads_net_flows_adjustments_and_levy_accounts(exchange: Exchange, redis_client) -> None:
    for name, value in {"transfers": 1, "consumed": 100, "gross": 200, "delivered": 186, "levy": 10,
                        "cancelled": 4}.items():
        redis_client.hset(linkage.NETFLOW, linkage.netflow_field("CN-BJ", "KR", name), value)
    redis_client.hset(linkage.adjustments_key(2025), mapping={"CN-BJ": 100, "KR": -100})

    [pair] = (await exchange.client.get("/v1/links/flows")).json()
    adjustments = (await exchange.client.get("/v1/adjustments", params={"period": 2025})).json()
    levies = (await exchange.client.get("/v1/levies")).json()

    assert (pair["registry_a"], pair["a_to_b"]["delivered"], pair["a_to_b"]["levy"]) == ("CN-BJ", 186, 10)
    assert (pair["net_out_of_a"], pair["net_out_of_b"], pair["b_to_a"]["transfers"]) == (100, -200, 0)
    assert adjustments == {"period": 2025, "adjustments": {"CN-BJ": 100, "KR": -100}}
    assert [(line["registry"], line["levy_account"], line["levy"]) for line in levies] == [
        ("CN-BJ", "CN-BJ/LEVY", {}), ("KR", "KR/LEVY", {})]


async def test_transparency_errors_are_json_with_stable_codes(api: httpx.AsyncClient) -> None:
    missing = await api.get("/v1/links/NOPE")
    bad_period = await api.get("/v1/adjustments", params={"period": "last-year"})

    assert missing.status_code == 404 and missing.json()["code"] == "LINK_NOT_FOUND"
    assert bad_period.status_code == 422 and bad_period.json()["code"] == "VALIDATION_ERROR"


async def test_the_transparency_routes_and_the_link_report_are_described_in_openapi(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()

    for path in ("/v1/links", "/v1/links/flows", "/v1/links/{link_id}", "/v1/adjustments", "/v1/levies"):
        assert "security" not in spec["paths"][path]["get"]
        assert "$ref" in str(spec["paths"][path]["get"]["responses"]["200"])
    suspend = spec["paths"]["/v1/admin/links/{link_id}/suspend"]["post"]["responses"]
    assert suspend["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LinkCommandAccepted"}
    assert {"404", "409"} <= set(suspend)
    result = spec["paths"]["/v1/admin/links/commands/{command_id}"]["get"]["responses"]
    assert result["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/LinkCommandResult"}
