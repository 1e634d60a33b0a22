"""Oversight on the whole embedded stack, through the HTTP API: a corridor's HALT stops the market until an
operator resumes it; a corridor's BAND narrows the market's next sessions' band until an operator clears it, and two
BAND corridors breached narrow it to their intersection; a wash
trade across one owner's accounts is listed for operators and auditors; positions
above the registry's threshold are published; the purchase limit refuses a buy past it."""

from __future__ import annotations

import pytest

from tests.integration.e2e.market import LinkedMarket, eventually

pytestmark = pytest.mark.integration


async def _phase(market: LinkedMarket) -> str:
    response = await market.client.get(f"/v1/markets/{market.instrument}/book")
    assert response.status_code == 200, response.text
    return response.json()["phase"]


async def _alerts(market: LinkedMarket, key: dict[str, str], code: str) -> list[dict]:
    response = await market.client.get("/v1/admin/alerts", params={"code": code}, headers=key)
    assert response.status_code == 200, response.text
    return response.json()["alerts"]


async def _alerts_on(market: LinkedMarket, code: str) -> list[dict] | None:
    found = [a for a in await _alerts(market, market.operator, code) if a["subject"] == market.instrument]
    return found or None


async def test_a_trade_above_the_corridor_halts_the_market_until_an_operator_resumes_it(market: LinkedMarket):
    await market.open(corridor={"currency": "CNY", "floor": 2000, "ceiling": 5200, "action": "HALT"})
    _, buyer, _, buys = await market.cross("53.00")

    breach = (await eventually(lambda: _alerts_on(market, "CORRIDOR_BREACH"), what="the corridor alert"))[0]
    assert (breach["details"]["breach"], breach["details"]["action"]) == ("ABOVE_CEILING", "HALT")

    async def halted() -> bool:
        return await _phase(market) == "HALTED"

    await eventually(halted, what="the market halted")
    body = {"instrument": market.instrument, "account": buyer, "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
            "price": "50.00", "quantity": 10, "client_order_id": "after-halt"}
    refused = await market.client.post("/v1/orders", json=body, headers=buys)
    assert (refused.status_code, refused.json()["code"]) == (409, "MARKET_NOT_OPEN")

    await market.admin(f"instruments/{market.instrument}/phase", {"phase": "CONTINUOUS"})

    async def resumed() -> bool:
        return await _phase(market) == "CONTINUOUS"

    await eventually(resumed, what="the market resumed")
    accepted = await market.client.post("/v1/orders", json={**body, "client_order_id": "after-resume"}, headers=buys)
    assert accepted.status_code == 201, accepted.text

    corridor = (await market.client.get(f"/v1/links/{market.link_id}/corridor")).json()
    assert [(r["instrument"], r["price"], r["reference_price"], r["breach"]) for r in corridor["readings"]] == [
        (market.instrument, 5300, "5300.00", "ABOVE_CEILING")]
    listed = (await market.client.get("/v1/corridors")).json()
    assert corridor in listed


async def _band_override(market: LinkedMarket) -> dict | None:
    listed = (await market.client.get("/v1/admin/band-overrides", headers=market.operator)).json()
    return next((o for o in listed if o["instrument"] == market.instrument), None)


async def _band(market: LinkedMarket) -> tuple[str, str]:
    lines = (await market.client.get("/v1/markets/summary")).json()
    line = next(m for m in lines if m["id"] == market.instrument)
    return line["band_low"], line["band_high"]


async def _next_session(market: LinkedMarket, reference: str, *, band: tuple[str, str]) -> None:
    """Close the market and open the next session at ``reference``; wait until matching shows it with ``band``."""
    await market.admin(f"instruments/{market.instrument}/phase", {"phase": "CLOSED"})
    await market.admin(f"instruments/{market.instrument}/phase", {"phase": "CONTINUOUS", "reference_price": reference})

    async def opened() -> bool:
        return await _band(market) == band and await _phase(market) == "CONTINUOUS"

    await eventually(opened, what=f"the next session open with the band {band}")


async def test_a_trade_above_a_band_corridor_narrows_the_next_sessions_band_until_an_operator_clears_it(
        market: LinkedMarket):
    await market.open(corridor={"currency": "CNY", "floor": 2000, "ceiling": 5200, "action": "BAND"})
    seller, buyer, sells, buys = await market.cross("53.00")

    breach = (await eventually(lambda: _alerts_on(market, "CORRIDOR_BREACH"), what="the corridor alert"))[0]
    assert (breach["details"]["action"], breach["details"]["band_low"], breach["details"]["band_high"]) == (
        "BAND", 2000, 5200)
    override = await eventually(lambda: _band_override(market), what="matching to record the band override")
    assert (override["low"], override["high"], override["in_force_high"]) == ("20.00", "52.00", None)
    # the session under way keeps its band (45.00–55.00)
    assert await _band(market) == ("45.00", "55.00")
    await market.order(sells, account=seller, side="SELL", quantity=10, price="54.00")

    await _next_session(market, "50.00", band=("45.00", "52.00"))
    body = {"instrument": market.instrument, "account": buyer, "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
            "price": "52.01", "quantity": 10, "client_order_id": "above-the-corridor"}
    refused = await market.client.post("/v1/orders", json=body, headers=buys)
    assert (refused.status_code, refused.json()["code"], refused.json()["details"]) == (
        422, "PRICE_OUTSIDE_BAND", {"low": 4500, "high": 5200})
    corridor = (await market.client.get(f"/v1/links/{market.link_id}/corridor")).json()
    assert [(r["instrument"], r["band_override"]["in_force_high"]) for r in corridor["readings"]] == [
        (market.instrument, "52.00")]

    denied = await market.client.delete(f"/v1/admin/instruments/{market.instrument}/band-override", headers=buys)
    assert (denied.status_code, denied.json()["code"]) == (403, "FORBIDDEN")
    cleared = await market.client.delete(f"/v1/admin/instruments/{market.instrument}/band-override",
                                         headers=market.operator)
    assert cleared.status_code == 202, cleared.text

    async def lifted() -> bool:
        found = await _band_override(market)
        return found is not None and found["low"] is None

    await eventually(lifted, what="matching to clear the band override")
    await _next_session(market, "50.00", band=("45.00", "55.00"))
    assert await _band_override(market) is None
    accepted = await market.client.post("/v1/orders", json={**body, "client_order_id": "after-clearing"}, headers=buys)
    assert accepted.status_code == 201, accepted.text
    # settlement follows matching's event chain through the override events: the next trade settles
    await market.order(sells, account=seller, side="SELL", quantity=10, price="52.01")
    settled = await market.until_settlements(buyer, 2)
    assert (settled[0]["type"], settled[0]["price"]) == ("TradeSettled", 5201)
    again = await market.client.delete(f"/v1/admin/instruments/{market.instrument}/band-override",
                                       headers=market.operator)
    assert (again.status_code, again.json()["code"]) == (404, "BAND_OVERRIDE_NOT_FOUND")


async def _two_band_corridors(market: LinkedMarket, *, floor: int, ceiling: int) -> tuple[str, dict]:
    """The market under two BAND corridors (20.00–52.00 on its Seoul link, ``floor``–``ceiling`` on a Tokyo link),
    a trade at 53.00 breaching both, and the band override matching holds once both have arrived: the second
    link's id and the override."""
    await market.open(corridor={"currency": "CNY", "floor": 2000, "ceiling": 5200, "action": "BAND"})
    tokyo, second_link = f"JP-{market.uid}", f"BJ-JP-{market.uid}"
    await market.admin("registries", {"id": tokyo, "name": "Tokyo", "currency": "JPY"})
    await market.admin("links", {"id": second_link, "kind": "UNILATERAL", "from_registry": market.bj,
                                 "to_registry": tokyo, "unit_types": ["ALLOWANCE"],
                                 "corridor": {"currency": "CNY", "floor": floor, "ceiling": ceiling, "action": "BAND"}})
    await market.cross("53.00")

    async def both_breached() -> list[dict] | None:
        found = await _alerts_on(market, "CORRIDOR_BREACH") or []
        return found if len(found) == 2 else None

    breaches = await eventually(both_breached, what="both corridors' alerts")
    found = sorted((a["details"]["link_id"], a["details"]["band_low"], a["details"]["band_high"]) for a in breaches)
    assert found == sorted([(market.link_id, 2000, 5200), (second_link, floor, ceiling)])

    async def both_held() -> dict | None:
        found = await _band_override(market)
        return found if found is not None and all(link in found["reason"] for link in (market.link_id, second_link)) \
            else None

    return second_link, await eventually(both_held, what="matching to hold both corridors' overrides")


async def test_two_band_corridors_breached_narrow_the_band_to_their_intersection_and_one_clear_lifts_both(
        market: LinkedMarket):
    _, override = await _two_band_corridors(market, floor=4000, ceiling=5100)  # 53.00: above both ceilings
    assert (override["low"], override["high"], override["pinned"]) == ("40.00", "51.00", False)
    await _next_session(market, "50.00", band=("45.00", "51.00"))

    cleared = await market.client.delete(f"/v1/admin/instruments/{market.instrument}/band-override",
                                         headers=market.operator)
    assert cleared.status_code == 202, cleared.text
    await _next_session(market, "50.00", band=("45.00", "55.00"))
    assert await _band_override(market) is None


async def test_two_band_corridors_with_no_price_in_common_pin_the_band_at_the_breached_limit(market: LinkedMarket):
    # 53.00 is below the Tokyo link's floor (54.00) and above the Seoul link's ceiling (52.00). The Tokyo link's
    # override arrives first (links in id order), the Seoul link's second: pinned at the ceiling it breached.
    second_link, override = await _two_band_corridors(market, floor=5400, ceiling=6000)
    assert (override["low"], override["high"], override["pinned"]) == ("52.00", "52.00", True)
    assert override["reason"] == (f"corridor of link {second_link}; corridor of link {market.link_id} has no price in "
                                  "common with the override held: pinned at 5200")
    await _next_session(market, "50.00", band=("52.00", "52.00"))


async def test_a_wash_trade_is_listed_for_operators_and_auditors_but_not_traders(market: LinkedMarket):
    await market.open()
    seller, buyer = f"{market.bj}/acme-steel", f"{market.kr}/acme-korea"
    sells, buys = await market.trader(seller, units=1_000), await market.trader(buyer, cny="100000.00")
    response = await market.client.put("/v1/admin/ownership-groups/acme-" + market.uid,
                                       json={"accounts": [seller, buyer]}, headers=market.operator)
    assert response.status_code == 200, response.text

    async def in_effect() -> bool:
        return (await market.client.get("/v1/admin/ownership-groups", headers=market.operator)).json()["in_effect"]

    await eventually(in_effect, what="surveillance to apply the ownership group")
    ask = await market.order(sells, account=seller, side="SELL", quantity=10)
    await market.until_status(ask["order_id"], "NEW")
    await market.order(buys, account=buyer, side="BUY", quantity=10)

    wash = (await eventually(lambda: _alerts_on(market, "WASH_TRADE"), what="the wash trade alert"))[0]
    assert (wash["owner"], wash["severity"], wash["details"]["sell_account"]) == (
        f"acme-{market.uid}", "HIGH", seller)
    auditor = await market.admin("keys", {"principal": f"auditor-{market.uid}", "role": "auditor"})
    listed = await _alerts(market, {"X-API-Key": auditor["api_key"]}, "WASH_TRADE")
    assert wash["alert_id"] in [a["alert_id"] for a in listed]
    denied = await market.client.get("/v1/admin/alerts", headers=buys)
    assert (denied.status_code, denied.json()["code"]) == (403, "FORBIDDEN")


async def test_positions_above_the_threshold_are_published_and_the_purchase_limit_refuses_more(market: LinkedMarket):
    await market.open()
    seller, buyer = f"{market.bj}/acme-steel", f"{market.bj}/beijing-heat"
    sells, buys = await market.trader(seller, units=1_000), await market.trader(buyer, cny="100000.00")
    for path, tonnes in ((f"position-thresholds/{market.bj}", 50), (f"purchase-limits/{buyer}", 100)):
        response = await market.client.put(f"/v1/admin/{path}", json={"tonnes": tonnes}, headers=market.operator)
        assert response.status_code == 200, response.text
    ask = await market.order(sells, account=seller, side="SELL", quantity=100)
    await market.until_status(ask["order_id"], "NEW")
    await market.order(buys, account=buyer, side="BUY", quantity=100)

    async def published() -> list[dict] | None:
        found = (await market.client.get("/v1/positions", params={"asset": market.unit})).json()
        return found if len(found) == 2 else None

    positions = await eventually(published, what="both positions published")
    assert [(p["account"], p["holding"]) for p in positions] == [(seller, 900), (buyer, 100)]

    body = {"instrument": market.instrument, "account": buyer, "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
            "price": "50.00", "quantity": 10, "client_order_id": "past-the-limit"}

    async def refused() -> dict | None:
        response = await market.client.post("/v1/orders", json=body, headers=buys)
        return response.json() if response.status_code == 409 else None

    refusal = await eventually(refused, what="the purchase limit to count the settled buy")
    assert (refusal["code"], refusal["details"]["limit"], refusal["details"]["purchased"]) == (
        "PURCHASE_LIMIT_EXCEEDED", 100, 100)
