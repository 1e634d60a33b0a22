"""Who may do what, rate limits, and the error shape for bad input and for a backing service that is down."""

from __future__ import annotations

import httpx
import pytest
import redis.asyncio as aioredis

from carbonlink.servers import free_port
from services.order_entry.app import create_app
from shared.runtime import ServiceContext
from tests.integration.order_entry.conftest import Exchange, order_body

pytestmark = pytest.mark.integration


async def test_the_public_reads_market_data_but_nothing_else(exchange: Exchange) -> None:
    client = exchange.client
    instruments = await client.get("/v1/instruments")
    assert instruments.status_code == 200 and instruments.json()[0]["tick"] == "0.01"
    assert (await client.get("/v1/markets/BJEA-2025/book?depth=5")).json() == {
        "instrument": "BJEA-2025", "phase": "CONTINUOUS", "bids": [], "asks": []}
    for method, path in [("POST", "/v1/orders"), ("GET", "/v1/orders/O-x-1"), ("GET", "/v1/accounts/CN-BJ/alpha"),
                         ("POST", "/v1/admin/registries")]:
        response = await client.request(method, path, json={})
        assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED", (path, response.text)


async def test_an_unknown_key_is_refused(exchange: Exchange) -> None:
    response = await exchange.client.get("/v1/orders/O-x-1", headers={"Authorization": "Bearer clk_nope"})
    assert response.status_code == 401 and response.json()["code"] == "INVALID_API_KEY"


async def test_a_trader_sees_neither_other_traders_orders_nor_accounts_nor_the_admin_api(exchange: Exchange) -> None:
    alpha = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    beta = await exchange.trader("beta", "CN-BJ/beta", cny="10000")
    order = (await exchange.client.post("/v1/orders", json=order_body(), headers=alpha)).json()
    for response in (await exchange.client.get(f"/v1/orders/{order['order_id']}", headers=beta),
                     await exchange.client.delete(f"/v1/orders/{order['order_id']}", headers=beta),
                     await exchange.client.patch(f"/v1/orders/{order['order_id']}", json={"quantity": 10}, headers=beta)):
        assert response.status_code == 404 and response.json()["code"] == "ORDER_NOT_FOUND"
    existing = await exchange.client.get("/v1/accounts/CN-BJ/alpha", headers=beta)
    missing = await exchange.client.get("/v1/accounts/CN-BJ/ghost", headers=beta)
    assert existing.status_code == missing.status_code == 403
    assert existing.json()["code"] == missing.json()["code"] == "ACCOUNT_FORBIDDEN"
    placed_for_other = await exchange.client.post("/v1/orders", json=order_body(account="CN-BJ/alpha", client_order_id="x"),
                                                  headers=beta)
    assert placed_for_other.status_code == 403
    admin = await exchange.client.post("/v1/admin/registries", json={"id": "X", "currency": "CNY"}, headers=alpha)
    assert admin.status_code == 403 and admin.json()["code"] == "FORBIDDEN"
    own = await exchange.client.get("/v1/accounts/CN-BJ/alpha", headers=alpha)
    assert own.status_code == 200 and own.json()["cash"]["CNY"]["reserved"] == "5010.00"


async def test_an_auditor_reads_everything_and_changes_nothing(exchange: Exchange) -> None:
    alpha = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    auditor = await exchange.key("audit", "auditor")
    order = (await exchange.client.post("/v1/orders", json=order_body(), headers=alpha)).json()
    assert (await exchange.client.get(f"/v1/orders/{order['order_id']}", headers=auditor)).status_code == 200
    assert (await exchange.client.get("/v1/accounts/CN-BJ/alpha", headers=auditor)).status_code == 200
    assert (await exchange.client.get("/v1/admin/links", headers=auditor)).status_code == 200
    assert (await exchange.client.get("/v1/admin/accounts", headers=auditor)).json()[0]["id"] == "CN-BJ/alpha"
    for method, path, body in [("POST", "/v1/orders", order_body(client_order_id="a")),
                               ("DELETE", f"/v1/orders/{order['order_id']}", None),
                               ("POST", "/v1/admin/deposits", {"account": "CN-BJ/alpha", "currency": "CNY", "amount": "1"})]:
        response = await exchange.client.request(method, path, json=body, headers=auditor)
        assert response.status_code == 403, (path, response.text)


async def test_a_key_over_its_rate_is_told_to_retry_later(exchange: Exchange) -> None:
    slow = await exchange.trader("slow", "CN-BJ/slow", rate=1, burst=2)
    codes = [(await exchange.client.get("/v1/accounts/CN-BJ/slow", headers=slow)).status_code for _ in range(3)]
    assert codes[:2] == [200, 200]
    limited = await exchange.client.get("/v1/accounts/CN-BJ/slow", headers=slow)
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) >= 1


async def test_placing_orders_checks_the_key_its_rate_and_its_role_as_every_route_does(exchange: Exchange) -> None:
    slow = await exchange.trader("slow", "CN-BJ/slow", cny="100000", rate=1, burst=2)
    codes = [(await exchange.client.post("/v1/orders", json=order_body(account="CN-BJ/slow", client_order_id=f"s-{n}"),
                                         headers=slow)).status_code for n in range(2)]
    assert codes == [201, 201]
    limited = await exchange.client.post("/v1/orders", json=order_body(account="CN-BJ/slow", client_order_id="s-2"),
                                         headers=slow)
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) >= 1
    for headers, code in [({"X-API-Key": "clk_nope"}, "INVALID_API_KEY"), ({"Authorization": "Bearer clk_nope"},
                          "INVALID_API_KEY"), ({"X-API-Key": "k" * 201}, "INVALID_API_KEY"), ({}, "UNAUTHENTICATED")]:
        response = await exchange.client.post("/v1/orders", json=order_body(), headers=headers)
        assert response.status_code == 401 and response.json()["code"] == code, response.text
    auditor = await exchange.key("audit", "auditor")
    refused = await exchange.client.post("/v1/orders", json=order_body(), headers=auditor)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    assert refused.json()["details"]["allowed_roles"] == ["trader", "operator"]


async def test_operators_set_up_markets_and_move_cash_and_units(exchange: Exchange) -> None:
    await exchange.trader("alpha", "CN-BJ/alpha")
    ops = exchange.operator
    client = exchange.client
    assert (await client.post("/v1/admin/deposits", json={"account": "CN-BJ/alpha", "currency": "CNY", "amount": "12.34",
                                                          "reference": "d1"}, headers=ops)).status_code == 201
    again = await client.post("/v1/admin/deposits", json={"account": "CN-BJ/alpha", "currency": "CNY", "amount": "12.34",
                                                           "reference": "d1"}, headers=ops)
    assert again.json()["duplicate"] is True
    too_much = await client.post("/v1/admin/withdrawals", json={"account": "CN-BJ/alpha", "currency": "CNY",
                                                                "amount": "20"}, headers=ops)
    assert too_much.status_code == 409 and too_much.json()["code"] == "LEDGER_REFUSED"
    await exchange.admin("allocations", {"account": "CN-BJ/alpha", "origin": "CN-BJ", "unit_type": "ALLOWANCE",
                                         "vintage": 2025, "quantity": 300})
    foreign = await client.post("/v1/admin/issuances", json={"account": "CN-BJ/alpha", "origin": "KR",
                                                             "unit_type": "ALLOWANCE", "vintage": 2025, "quantity": 1},
                                headers=ops)
    assert foreign.status_code == 422 and foreign.json()["code"] == "ORIGIN_MISMATCH"
    await exchange.admin("emissions", {"account": "CN-BJ/alpha", "period": "2025", "tonnes": 200})
    await exchange.admin("surrenders", {"account": "CN-BJ/alpha", "origin": "CN-BJ", "unit_type": "ALLOWANCE",
                                        "vintage": 2025, "quantity": 200, "period": "2025"})
    over = await client.post("/v1/admin/surrenders", json={"account": "CN-BJ/alpha", "origin": "CN-BJ",
                                                           "unit_type": "ALLOWANCE", "vintage": 2025, "quantity": 1,
                                                           "period": "2025"}, headers=ops)
    assert over.json()["details"]["ledger_code"] == "OBLIGATION_EXCEEDED"
    view = await exchange.balances("CN-BJ/alpha")
    assert view["cash"]["CNY"]["available"] == "12.34" and view["holdings"][0]["available"] == 100
    assert (await client.post("/v1/admin/clock", json={"now": 1_700_000_000_000}, headers=ops)).status_code == 202
    unknown = await client.post("/v1/admin/accounts", json={"id": "XX/a", "holder": "a"}, headers=ops)
    assert unknown.status_code == 404 and unknown.json()["code"] == "REGISTRY_NOT_FOUND"
    not_trader = await client.post("/v1/admin/accounts", json={"id": "CN-BJ/b", "holder": "b", "principals": ["ops"]},
                                   headers=ops)
    assert not_trader.status_code == 409 and not_trader.json()["code"] == "NOT_A_TRADER"


@pytest.mark.parametrize(("content", "status", "code"), [
    (b"{not json", 400, "MALFORMED_JSON"),
    (b"[]", 422, "VALIDATION_ERROR"),
    (b'{"instrument": 5}', 422, "VALIDATION_ERROR"),
    ("{\"instrument\": \"\u2603\"}".encode(), 422, "VALIDATION_ERROR"),
])
async def test_malformed_bodies_get_a_4xx_with_the_error_shape(exchange: Exchange, content: bytes, status: int,
                                                               code: str) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha")
    response = await exchange.client.post("/v1/orders", content=content,
                                          headers=trader | {"Content-Type": "application/json"})
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_unknown_routes_and_methods_answer_in_the_error_shape(exchange: Exchange) -> None:
    assert (await exchange.client.get("/v1/nowhere")).json()["code"] == "NOT_FOUND"
    assert (await exchange.client.put("/v1/instruments")).json()["code"] == "METHOD_NOT_ALLOWED"


async def test_redis_away_is_a_503_not_a_500(oe_context: ServiceContext) -> None:
    dead = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    ctx = ServiceContext(name="order_entry", instance="dead", settings=oe_context.settings, redis=dead,
                         producer=oe_context.producer)
    app = create_app(ctx, stream_events=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oe") as client:
        for path in ("/v1/instruments", "/v1/orders/O-1"):
            response = await client.get(path, headers={"X-API-Key": "clk_x"})
            assert response.status_code == 503 and response.json()["code"] == "SERVICE_UNAVAILABLE"
    await dead.aclose()
