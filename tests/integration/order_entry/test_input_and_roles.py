"""Input defects and roles found in testing: client order id reuse, strict JSON numbers, the body limit, 405 Allow,
out-of-range order values, post-trade anonymity, auditors reading everything, operators managing keys and grants."""

from __future__ import annotations

import orjson
import pytest

from tests.integration.order_entry.conftest import Exchange, instrument_body, order_body

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("change", [{"price": "50.10"}, {"time_in_force": "DAY"}, {"side": "SELL"},
                                    {"type": "POST_ONLY"}, {"quantity": 200}])
async def test_reusing_a_client_order_id_with_any_other_term_is_refused(exchange: Exchange, change: dict) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="100000", units=1000)
    first = await exchange.client.post("/v1/orders", json=order_body(), headers=trader)
    assert first.status_code == 201, first.text
    same = await exchange.client.post("/v1/orders", json=order_body(price="50.0"), headers=trader)
    assert same.status_code == 200 and same.json()["order_id"] == first.json()["order_id"]
    other = await exchange.client.post("/v1/orders", json=order_body(**change), headers=trader)
    assert other.status_code == 409 and other.json()["code"] == "CLIENT_ORDER_ID_REUSED"
    assert other.json()["details"]["order_id"] == first.json()["order_id"]


@pytest.mark.parametrize("quantity", [True, "100", 100.0])
async def test_a_quantity_must_be_a_json_integer(exchange: Exchange, quantity: object) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    response = await exchange.client.post("/v1/orders", json=order_body(quantity=quantity), headers=trader)
    assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["details"]["errors"][0]["loc"] == ["body", "quantity"]


async def test_a_fee_must_be_a_json_integer(exchange: Exchange) -> None:
    body = instrument_body(id="BJEA-2026", fees={"maker_bps": 10, "taker_bps": 20, "min_fee": False})
    response = await exchange.client.post("/v1/admin/instruments", json=body, headers=exchange.operator)
    assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"


async def test_a_body_above_64_kib_is_refused_with_413_whether_or_not_its_length_is_announced(
        exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    huge = orjson.dumps(order_body(client_order_id="c-" + "x" * 70_000))
    announced = await exchange.client.post("/v1/orders", content=huge, headers=trader | {"content-type": "application/json"})
    assert announced.status_code == 413 and announced.json()["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks():
        for start in range(0, len(huge), 8192):
            yield huge[start:start + 8192]

    streamed = await exchange.client.post("/v1/orders", content=chunks(), headers=trader | {"content-type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_wrong_method_is_answered_405_with_every_method_of_the_path(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    one = await exchange.client.put("/v1/orders/O-1", json={}, headers=trader)
    assert one.status_code == 405 and one.json()["code"] == "METHOD_NOT_ALLOWED"
    assert set(one.headers["allow"].split(", ")) >= {"GET", "DELETE", "PATCH"}
    many = await exchange.client.put("/v1/orders", json={}, headers=trader)
    assert set(many.headers["allow"].split(", ")) >= {"GET", "POST"}


async def test_an_order_whose_value_the_ledger_cannot_hold_is_refused_as_out_of_range(exchange: Exchange) -> None:
    await exchange.admin("instruments", instrument_body(band=None, max_quantity=None))
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    response = await exchange.client.post(
        "/v1/orders", json=order_body(price="900000000000000", quantity=1_000_000_000), headers=trader)
    assert response.status_code == 422 and response.json()["code"] == "ORDER_VALUE_OUT_OF_RANGE"


async def test_a_trader_sees_only_its_own_side_of_its_trades_and_settlements(exchange: Exchange, oe_context) -> None:
    alpha = await exchange.trader("alpha", "CN-BJ/alpha")
    trade = {"trade_id": "BJEA-2025:T1", "instrument": "BJEA-2025", "price": 5000, "quantity": 10,
             "buy_account": "CN-BJ/alpha", "sell_account": "CN-BJ/beta", "buy_order_id": "O-1", "sell_order_id": "O-2",
             "maker_account": "CN-BJ/beta", "taker_account": "CN-BJ/alpha", "maker_order_id": "O-2",
             "taker_order_id": "O-1", "buy_leaves_quantity": 0, "sell_leaves_quantity": 5, "at": 1}
    settled = {"type": "TradeSettled", "trade_id": "BJEA-2025:T1", "buy_account": "CN-BJ/alpha",
               "sell_account": "CN-BJ/beta", "quantity": 10}
    await oe_context.redis.lpush("acct:CN-BJ/alpha:trades", orjson.dumps(trade))
    await oe_context.redis.lpush("acct:CN-BJ/alpha:settlements", orjson.dumps(settled))

    [own] = (await exchange.client.get("/v1/accounts/CN-BJ/alpha/trades", headers=alpha)).json()
    assert "CN-BJ/beta" not in orjson.dumps(own).decode() and "O-2" not in orjson.dumps(own).decode()
    assert (own["side"], own["buy_order_id"], own["liquidity"]) == ("BUY", "O-1", "TAKER")
    [record] = (await exchange.client.get("/v1/accounts/CN-BJ/alpha/settlements", headers=alpha)).json()
    assert "sell_account" not in record and record["side"] == "BUY"
    [full] = (await exchange.client.get("/v1/accounts/CN-BJ/alpha/trades", headers=exchange.operator)).json()
    assert full["sell_account"] == "CN-BJ/beta"


async def test_an_auditor_reads_keys_grants_and_the_audit_and_writes_none_of_them(exchange: Exchange) -> None:
    await exchange.trader("alpha", "CN-BJ/alpha")
    auditor = await exchange.key("audit", "auditor")
    keys = await exchange.client.get("/v1/admin/keys", headers=auditor)
    assert keys.status_code == 200 and {k["principal"] for k in keys.json()} >= {"alpha", "audit", "ops"}
    assert "api_key" not in keys.json()[0]
    assert (await exchange.client.get("/v1/admin/principals/alpha/grants", headers=auditor)).json() == ["CN-BJ/alpha"]
    audit = await exchange.client.get("/v1/admin/audit", headers=auditor)
    assert audit.status_code == 200 or audit.json()["code"] == "AUDIT_NOT_RECORDED"
    for method, path in [("POST", "/v1/admin/keys"), ("DELETE", "/v1/admin/accounts/CN-BJ/alpha/grants/alpha"),
                         ("DELETE", f"/v1/admin/keys/{keys.json()[0]['key_id']}")]:
        response = await exchange.client.request(method, path, json={"principal": "x", "role": "trader"}, headers=auditor)
        assert response.status_code == 403, (method, path, response.text)


async def test_an_operator_revokes_a_grant_and_the_trader_loses_the_account(exchange: Exchange) -> None:
    alpha = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    revoked = await exchange.client.delete("/v1/admin/accounts/CN-BJ/alpha/grants/alpha", headers=exchange.operator)
    assert revoked.status_code == 204
    assert (await exchange.client.get("/v1/admin/principals/alpha/grants", headers=exchange.operator)).json() == []
    refused = await exchange.client.post("/v1/orders", json=order_body(), headers=alpha)
    assert refused.status_code == 403 and refused.json()["code"] == "ACCOUNT_FORBIDDEN"
    again = await exchange.client.delete("/v1/admin/accounts/CN-BJ/alpha/grants/alpha", headers=exchange.operator)
    assert again.status_code == 404 and again.json()["code"] == "GRANT_NOT_FOUND"
