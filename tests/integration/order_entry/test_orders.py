"""Placing, retrying, amending and cancelling orders through HTTP: checks, reservations and published commands."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.envelope import decode
from shared.topics import ORDERS_COMMANDS
from tests.integration.order_entry.conftest import Exchange, instrument_body, order_body

pytestmark = pytest.mark.integration

# 5000 × 100 = 500,000 notional; fee bound at max(10, 20) bps = 1,000 → 501,000 minor = 5010.00 CNY
BUY_100_AT_50 = 501_000


async def test_a_buy_reserves_limit_times_quantity_plus_the_fee_bound_and_is_published_keyed_by_instrument(
        exchange: Exchange, oe_context) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    consumer = AIOKafkaConsumer(bootstrap_servers=oe_context.settings.kafka_bootstrap, group_id=None,
                                enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    try:
        partitions = [TopicPartition(ORDERS_COMMANDS.name, p) for p in consumer.partitions_for_topic(ORDERS_COMMANDS.name)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        response = await exchange.client.post("/v1/orders", json=order_body(), headers=trader)
        assert response.status_code == 201, response.text
        order = response.json()
        assert order["status"] == "PENDING_NEW" and order["order_id"].startswith("O-BJEA-2025-")
        published = []
        for _ in range(50):
            for records in (await consumer.getmany(timeout_ms=100)).values():
                published += [r for r in records if decode(r.value).correlation_id == order["order_id"]]
            if published:
                break
        assert published[0].key == b"BJEA-2025"
        envelope = decode(published[0].value)
        assert envelope.type == "SubmitOrder" and envelope.payload["price"] == 5000
    finally:
        await consumer.stop()
    cash = (await exchange.balances("CN-BJ/alpha"))["cash"]["CNY"]
    assert cash == {"available": "4990.00", "reserved": "5010.00"}
    got = await exchange.client.get(f"/v1/orders/{order['order_id']}", headers=trader)
    assert got.status_code == 200 and got.json()["client_order_id"] == "c-1"


async def test_a_sell_reserves_the_units_of_the_instrument(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", units=500)
    response = await exchange.client.post("/v1/orders", json=order_body(side="SELL"), headers=trader)
    assert response.status_code == 201, response.text
    holding = (await exchange.balances("CN-BJ/alpha"))["holdings"][0]
    assert (holding["asset"], holding["available"], holding["reserved"]) == ("U:CN-BJ:ALLOWANCE:2025", 400, 100)


async def test_a_retry_with_the_same_client_order_id_returns_the_same_order_and_reserves_once(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    first = await exchange.client.post("/v1/orders", json=order_body(), headers=trader)
    again = await asyncio.gather(*(exchange.client.post("/v1/orders", json=order_body(), headers=trader)
                                   for _ in range(5)))
    assert first.status_code == 201
    assert {r.status_code for r in again} == {200}
    assert {r.json()["order_id"] for r in again} == {first.json()["order_id"]}
    assert (await exchange.balances("CN-BJ/alpha"))["cash"]["CNY"]["reserved"] == "5010.00"
    other = await exchange.client.post("/v1/orders", json=order_body(quantity=200), headers=trader)
    assert other.status_code == 409 and other.json()["code"] == "CLIENT_ORDER_ID_REUSED"


async def test_concurrent_first_requests_with_one_client_order_id_make_one_order(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    responses = await asyncio.gather(*(exchange.client.post("/v1/orders", json=order_body(), headers=trader)
                                       for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert (await exchange.balances("CN-BJ/alpha"))["cash"]["CNY"]["reserved"] == "5010.00"


async def test_an_order_the_account_cannot_pay_for_is_refused_and_its_client_id_stays_usable(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="100")
    refused = await exchange.client.post("/v1/orders", json=order_body(), headers=trader)
    assert refused.status_code == 409 and refused.json()["code"] == "INSUFFICIENT_FUNDS"
    assert (await exchange.balances("CN-BJ/alpha"))["cash"]["CNY"] == {"available": "100.00", "reserved": "0.00"}
    await exchange.admin("deposits", {"account": "CN-BJ/alpha", "currency": "CNY", "amount": "10000"})
    retried = await exchange.client.post("/v1/orders", json=order_body(), headers=trader)
    assert retried.status_code == 201
    sell = await exchange.client.post("/v1/orders", json=order_body(side="SELL", client_order_id="s"), headers=trader)
    assert sell.status_code == 409 and sell.json()["code"] == "INSUFFICIENT_UNITS"


@pytest.mark.parametrize(("overrides", "status", "code"), [
    ({"price": "50.005"}, 422, "INVALID_PRICE"),
    ({"quantity": 105}, 422, "QUANTITY_NOT_ON_LOT"),
    ({"quantity": 100_010}, 422, "QUANTITY_ABOVE_MAX"),
    ({"price": "55.01"}, 422, "PRICE_OUTSIDE_BAND"),
    ({"price": "44.99"}, 422, "PRICE_OUTSIDE_BAND"),
    ({"price": None}, 422, "PRICE_REQUIRED"),
    ({"type": "MARKET"}, 422, "PRICE_NOT_ALLOWED"),
    ({"type": "POST_ONLY", "time_in_force": "IOC"}, 422, "INVALID_TIME_IN_FORCE"),
    ({"time_in_force": "GTD"}, 422, "EXPIRY_REQUIRED"),
    ({"time_in_force": "GTD", "expire_at": 1}, 422, "EXPIRY_IN_PAST"),
    ({"expire_at": 99_999_999_999_999}, 422, "EXPIRY_NOT_ALLOWED"),
    ({"instrument": "NOPE"}, 404, "INSTRUMENT_NOT_FOUND"),
    ({"quantity": -10}, 422, "VALIDATION_ERROR"),
    ({"quantity": 10**30}, 422, "VALIDATION_ERROR"),
    ({"price": "1e400"}, 422, "VALIDATION_ERROR"),
    ({"side": "SIDEWAYS"}, 422, "VALIDATION_ERROR"),
    ({"account": "CN-BJ/álpha"}, 422, "VALIDATION_ERROR"),
    ({"quantity": "lots"}, 422, "VALIDATION_ERROR"),
])
async def test_pre_trade_checks_refuse_with_a_stable_code_and_reserve_nothing(
        exchange: Exchange, overrides: dict, status: int, code: str) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    response = await exchange.client.post("/v1/orders", json=order_body(**overrides), headers=trader)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert set(response.json()) == {"code", "message", "details"}
    assert (await exchange.balances("CN-BJ/alpha"))["cash"]["CNY"]["reserved"] == "0.00"


async def test_a_market_buy_reserves_at_the_upper_band_and_is_refused_without_a_band(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    response = await exchange.client.post("/v1/orders", json=order_body(type="MARKET", price=None, time_in_force="IOC"),
                                          headers=trader)
    assert response.status_code == 201, response.text
    # upper band 5500 × 100 = 550,000 + 1,100 fee
    assert (await exchange.balances("CN-BJ/alpha"))["cash"]["CNY"]["reserved"] == "5511.00"
    await exchange.admin("instruments", instrument_body(band=None))
    refused = await exchange.client.post(
        "/v1/orders", json=order_body(type="MARKET", price=None, time_in_force="IOC", client_order_id="c-2"),
        headers=trader)
    assert refused.status_code == 422 and refused.json()["code"] == "MARKET_BUY_NEEDS_BAND"


async def test_orders_are_refused_while_the_market_is_not_open(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    phase = await exchange.client.post("/v1/admin/instruments/BJEA-2025/phase", json={"phase": "HALTED"},
                                       headers=exchange.operator)
    assert phase.status_code == 202
    response = await exchange.client.post("/v1/orders", json=order_body(), headers=trader)
    assert response.status_code == 409 and response.json()["code"] == "MARKET_NOT_OPEN"


async def test_raising_a_buy_price_reserves_the_difference_first(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="5020")
    order = (await exchange.client.post("/v1/orders", json=order_body(), headers=trader)).json()
    too_much = await exchange.client.patch(f"/v1/orders/{order['order_id']}", json={"price": "51.00"}, headers=trader)
    assert too_much.status_code == 409 and too_much.json()["code"] == "INSUFFICIENT_FUNDS"
    await exchange.admin("deposits", {"account": "CN-BJ/alpha", "currency": "CNY", "amount": "1000"})
    amended = await exchange.client.patch(f"/v1/orders/{order['order_id']}", json={"price": "51.00", "quantity": 110},
                                          headers=trader)
    assert amended.status_code == 202, amended.text
    # 5100 × 110 = 561,000 + 1,122 fee
    assert (await exchange.balances("CN-BJ/alpha"))["cash"]["CNY"]["reserved"] == "5621.22"
    lower = await exchange.client.patch(f"/v1/orders/{order['order_id']}", json={"quantity": 50}, headers=trader)
    assert lower.status_code == 202
    assert (await exchange.balances("CN-BJ/alpha"))["cash"]["CNY"]["reserved"] == "5621.22"
    empty = await exchange.client.patch(f"/v1/orders/{order['order_id']}", json={}, headers=trader)
    assert empty.status_code == 422 and empty.json()["code"] == "NOTHING_TO_AMEND"


async def test_cancel_is_accepted_for_open_orders_and_refused_for_finished_ones(exchange: Exchange, oe_context) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    order = (await exchange.client.post("/v1/orders", json=order_body(), headers=trader)).json()
    cancel = await exchange.client.delete(f"/v1/orders/{order['order_id']}", headers=trader)
    assert cancel.status_code == 202
    await oe_context.redis.hset(f"ord:{order['order_id']}", "status", "FILLED")
    again = await exchange.client.delete(f"/v1/orders/{order['order_id']}", headers=trader)
    assert again.status_code == 409 and again.json()["code"] == "ORDER_NOT_OPEN"
    missing = await exchange.client.delete("/v1/orders/O-nothing-1", headers=trader)
    assert missing.status_code == 404 and missing.json()["code"] == "ORDER_NOT_FOUND"


async def test_orders_are_listed_newest_first_one_page_at_a_time(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="100000")
    ids = []
    for n in range(5):
        ids.append((await exchange.client.post("/v1/orders", json=order_body(client_order_id=f"c-{n}"),
                                               headers=trader)).json()["order_id"])
    first = (await exchange.client.get("/v1/orders", params={"account": "CN-BJ/alpha", "limit": 3}, headers=trader)).json()
    rest = (await exchange.client.get("/v1/orders", params={"account": "CN-BJ/alpha", "limit": 3,
                                                             "cursor": first["next_cursor"]}, headers=trader)).json()
    assert [o["order_id"] for o in first["orders"] + rest["orders"]] == ids[::-1]
    assert rest["next_cursor"] is None
    filled = (await exchange.client.get("/v1/orders", params={"account": "CN-BJ/alpha", "status": "FILLED"},
                                        headers=trader)).json()
    assert filled["orders"] == []


async def test_mass_cancel_takes_one_of_the_traders_accounts(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha")
    await exchange.trader("beta", "CN-BJ/beta")
    own = await exchange.client.post("/v1/orders/mass-cancel", json={"instrument": "BJEA-2025", "account": "CN-BJ/alpha"},
                                     headers=trader)
    assert own.status_code == 202
    other = await exchange.client.post("/v1/orders/mass-cancel", json={"instrument": "BJEA-2025", "account": "CN-BJ/beta"},
                                       headers=trader)
    assert other.status_code == 403 and other.json()["code"] == "ACCOUNT_FORBIDDEN"
    everyone = await exchange.client.post("/v1/admin/mass-cancel", json={"instrument": "BJEA-2025"},
                                          headers=exchange.operator)
    assert everyone.status_code == 202


async def test_cross_registry_orders_need_an_active_link_admitting_the_unit_class(
        exchange: Exchange, bridge: None) -> None:
    trader = await exchange.trader("seoul", "KR/seoul-power", cny="10000")
    refused = await exchange.client.post("/v1/orders", json=order_body(account="KR/seoul-power"), headers=trader)
    assert refused.status_code == 422 and refused.json()["code"] == "CROSS_REGISTRY_NOT_ELIGIBLE"
    await exchange.admin("links", {"id": "BJ-KR", "kind": "UNILATERAL", "from_registry": "CN-BJ", "to_registry": "KR",
                                   "unit_types": ["ALLOWANCE"], "caps": {"per_period": 1000}, "levy_share": "0.05"})
    placed = await exchange.client.post("/v1/orders", json=order_body(account="KR/seoul-power"), headers=trader)
    assert placed.status_code == 201, placed.text
    suspended = await exchange.link_command("BJ-KR", "suspend")
    assert suspended["status"] == "SUSPENDED" and suspended["suspended_at"]
    refused = await exchange.client.post("/v1/orders", json=order_body(account="KR/seoul-power", client_order_id="c-2"),
                                         headers=trader)
    assert refused.json()["details"]["links"] == {"BJ-KR": "LINK_SUSPENDED"}
    assert (await exchange.link_command("BJ-KR", "terminate"))["status"] == "TERMINATED"
    resumed = await exchange.client.post("/v1/admin/links/BJ-KR/resume", headers=exchange.operator)
    assert resumed.status_code == 409 and resumed.json()["code"] == "LINK_TERMINATED"


async def test_a_cross_border_order_carries_the_links_minimum_fill_and_may_not_go_below_it(exchange: Exchange) -> None:
    trader = await exchange.trader("seoul", "KR/seoul-power", cny="10000")
    # one KR unit per 20 Beijing units: 19 t deliver nothing, so fills start at 20 t (a multiple of the lot, 10)
    await exchange.admin("links", {"id": "BJ-KR", "kind": "UNILATERAL", "from_registry": "CN-BJ", "to_registry": "KR",
                                   "unit_types": ["ALLOWANCE"], "exchange_rate": "1/20"})
    small = await exchange.client.post("/v1/orders", json=order_body(account="KR/seoul-power", quantity=10),
                                       headers=trader)
    assert small.status_code == 422 and small.json()["code"] == "QUANTITY_BELOW_MIN_FILL"
    assert small.json()["details"] == {"min_fill": 20, "link": "BJ-KR"}
    placed = await exchange.client.post("/v1/orders", json=order_body(account="KR/seoul-power", client_order_id="c-2"),
                                        headers=trader)
    assert placed.status_code == 201, placed.text
    assert placed.json()["min_fill"] == 20
    lower = await exchange.client.patch(f"/v1/orders/{placed.json()['order_id']}", json={"quantity": 10}, headers=trader)
    assert lower.status_code == 422 and lower.json()["code"] == "QUANTITY_BELOW_MIN_FILL"
    home = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    domestic = await exchange.client.post("/v1/orders", json=order_body(quantity=10), headers=home)
    assert domestic.status_code == 201 and domestic.json()["min_fill"] == 1


async def test_a_buy_beyond_the_holding_limit_is_refused(exchange: Exchange) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000", units=50)
    await exchange.admin("holding-limits", {"account": "CN-BJ/alpha", "asset": "U:CN-BJ:ALLOWANCE:2025", "limit": 120})
    refused = await exchange.client.post("/v1/orders", json=order_body(), headers=trader)
    assert refused.status_code == 409 and refused.json()["code"] == "HOLDING_LIMIT_EXCEEDED"
