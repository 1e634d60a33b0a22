"""Issue 11, end to end through the HTTP API: a cross-border buy reserves its link's quota when it is accepted,
the way it reserves its cash. An order the link cannot carry is refused at entry with the bridge's code; two
orders racing for the last headroom get one acceptance; a cancel gives the quota back; a settled trade moves its
share from reserved to used; the public link view shows both, and the audit proves counters and orders agree."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx
import pytest

from services.bridge.rules import ReasonCode
from tests.integration.e2e.market import LinkedMarket
from tests.polling import eventually

pytestmark = pytest.mark.integration

CAP = 100


def buy_body(market: LinkedMarket, account: str, quantity: int, price: str = "50.00") -> dict[str, Any]:
    return {"instrument": market.instrument, "account": account, "side": "BUY", "type": "LIMIT",
            "time_in_force": "GTC", "price": price, "quantity": quantity, "client_order_id": f"c-{secrets.token_hex(4)}"}


async def quota(market: LinkedMarket) -> dict[str, Any]:
    link = (await market.client.get(f"/v1/links/{market.link_id}")).json()
    return {k: v for k, v in link["directions"][0]["quota"].items() if k != "period"}


async def until_quota(market: LinkedMarket, **expected: int) -> None:
    async def reached() -> bool:
        return await quota(market) == {"cap": CAP, **expected}

    await eventually(reached, what=f"the link's quota to read {expected}")


def audit_ok(market: LinkedMarket, running_stack) -> None:
    report = market.audit(pending_timeout_s=running_stack.settings.settlement_pending_timeout_s)
    assert report.ok, report.to_dict()
    [check] = [c for c in report.to_dict()["checks"] if c["name"] == "quota_reservations"]
    assert check["ok"], check


async def test_a_buy_the_link_cannot_carry_is_refused_at_entry_with_the_bridges_code_and_reserves_nothing(
    market: LinkedMarket, running_stack
) -> None:
    await market.open(caps={"per_period": CAP})
    buyer = f"{market.kr}/seoul-power"
    buys = await market.trader(buyer, cny="10000.00")
    before = await market.balances(buyer)

    refused = await market.client.post("/v1/orders", json=buy_body(market, buyer, CAP + 10), headers=buys)

    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "PERIOD_CAP_EXCEEDED"
    assert (body["details"]["reason_code"], body["details"]["cap"], body["details"]["requested"]) == (
        ReasonCode.PERIOD_CAP_EXCEEDED, str(CAP), str(CAP + 10))
    assert await market.balances(buyer) == before
    assert await quota(market) == {"cap": CAP, "used": 0, "reserved": 0, "remaining": CAP}


async def test_a_resting_buy_holds_its_quota_in_the_public_view_and_a_cancel_gives_it_back(
    market: LinkedMarket, running_stack
) -> None:
    await market.open(caps={"per_period": CAP})
    buyer = f"{market.kr}/seoul-power"
    buys = await market.trader(buyer, cny="10000.00")

    bid = await market.order(buys, account=buyer, side="BUY", quantity=60)
    await market.until_status(bid["order_id"], "NEW")
    assert await quota(market) == {"cap": CAP, "used": 0, "reserved": 60, "remaining": 40}
    too_much = await market.client.post("/v1/orders", json=buy_body(market, buyer, 50), headers=buys)
    assert too_much.status_code == 409 and too_much.json()["code"] == "PERIOD_CAP_EXCEEDED", too_much.text

    cancelled = await market.client.delete(f"/v1/orders/{bid['order_id']}", headers=buys)
    assert cancelled.status_code < 300, cancelled.text
    await market.until_status(bid["order_id"], "CANCELLED")
    await until_quota(market, used=0, reserved=0, remaining=CAP)
    again = await market.client.post("/v1/orders", json=buy_body(market, buyer, CAP), headers=buys)
    assert again.status_code == 201, again.text
    audit_ok(market, running_stack)


async def test_two_buys_racing_for_the_last_headroom_get_one_acceptance(market: LinkedMarket, running_stack) -> None:
    await market.open(caps={"per_period": CAP})
    first, second = f"{market.kr}/seoul-power", f"{market.kr}/incheon-gas"
    keys = [await market.trader(first, cny="10000.00"), await market.trader(second, cny="10000.00")]

    async def post(key: dict[str, str], account: str) -> httpx.Response:
        return await market.client.post("/v1/orders", json=buy_body(market, account, 70), headers=key)

    answers = await asyncio.gather(post(keys[0], first), post(keys[1], second))

    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    [loser] = [a for a in answers if a.status_code == 409]
    assert loser.json()["code"] == "PERIOD_CAP_EXCEEDED"
    assert await quota(market) == {"cap": CAP, "used": 0, "reserved": 70, "remaining": 30}


async def test_a_fill_moves_its_share_from_reserved_to_used_and_the_rest_is_released_when_the_order_ends(
    market: LinkedMarket, running_stack
) -> None:
    await market.open(caps={"per_period": CAP})
    seller, buyer = f"{market.bj}/acme-steel", f"{market.kr}/seoul-power"
    sells = await market.trader(seller, units=1_000)
    buys = await market.trader(buyer, cny="10000.00")

    bid = await market.order(buys, account=buyer, side="BUY", quantity=CAP)
    await market.until_status(bid["order_id"], "NEW")
    await market.order(sells, account=seller, side="SELL", quantity=40)
    [settled] = await market.until_settlements(buyer, 1)
    assert (settled["type"], settled["delivered_quantity"]) == ("TradeSettled", 40)
    await until_quota(market, used=40, reserved=60, remaining=0)

    await market.order(sells, account=seller, side="SELL", quantity=30)
    await market.until_settlements(buyer, 2)
    await until_quota(market, used=70, reserved=30, remaining=0)
    await market.client.delete(f"/v1/orders/{bid['order_id']}", headers=buys)
    await until_quota(market, used=70, reserved=0, remaining=30)
    audit_ok(market, running_stack)


async def test_the_account_cap_refuses_with_its_own_code(market: LinkedMarket, running_stack) -> None:
    await market.open(caps={"per_period": 1_000, "per_account": 50})
    buyer = f"{market.kr}/seoul-power"
    buys = await market.trader(buyer, cny="10000.00")

    await market.order(buys, account=buyer, side="BUY", quantity=50)
    refused = await market.client.post("/v1/orders", json=buy_body(market, buyer, 10), headers=buys)

    assert refused.status_code == 409, refused.text
    assert (refused.json()["code"], refused.json()["details"]["reason_code"]) == (
        "ACCOUNT_CAP_EXCEEDED", ReasonCode.ACCOUNT_CAP_EXCEEDED)


async def test_an_amend_up_reserves_the_added_quota_and_an_amend_down_gives_the_excess_back(
    market: LinkedMarket, running_stack
) -> None:
    await market.open(caps={"per_period": CAP})
    buyer = f"{market.kr}/seoul-power"
    buys = await market.trader(buyer, cny="10000.00")
    bid = await market.order(buys, account=buyer, side="BUY", quantity=50)
    await market.until_status(bid["order_id"], "NEW")

    async def amend(quantity: int) -> httpx.Response:
        return await market.client.patch(f"/v1/orders/{bid['order_id']}", json={"quantity": quantity}, headers=buys)

    assert (await amend(80)).status_code < 300
    await until_quota(market, used=0, reserved=80, remaining=20)
    refused = await amend(110)
    assert refused.status_code == 409 and refused.json()["code"] == "PERIOD_CAP_EXCEEDED", refused.text

    assert (await amend(30)).status_code < 300
    await until_quota(market, used=0, reserved=30, remaining=70)
    audit_ok(market, running_stack)
