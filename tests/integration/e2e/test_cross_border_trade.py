"""Issue 6, end to end through the HTTP API: a Seoul account buys Beijing units; the bridge converts and levies
them within the link's period cap, and the next buy beyond the cap is refused when it is entered (issue 11: the
quota is reserved with the order), reserving nothing."""

from __future__ import annotations

import pytest

from services.bridge.rules import ReasonCode, calendar_year
from shared.runtime import business_now_ms
from tests.integration.e2e.market import FEES, LinkedMarket
from tests.polling import eventually

pytestmark = pytest.mark.integration

NOTIONAL = 5_000 * 100  # 100 t at CNY 50.00, in fen
PERIOD_CAP = 300  # delivered tonnes: room for one 100 t purchase (186 delivered), not two


async def test_a_seoul_buyer_gets_converted_levied_beijing_units_and_a_buy_beyond_the_cap_is_refused_and_released(
    market: LinkedMarket, running_stack
) -> None:
    await market.open(exchange_rate="2", levy_share="0.05", cancellation_share="0.02", delivered_type="CONVERTED",
                      corresponding_adjustment=True, caps={"per_period": PERIOD_CAP})
    seller, buyer = f"{market.bj}/acme-steel", f"{market.kr}/seoul-power"
    sells = await market.trader(seller, units=1_000)
    buys = await market.trader(buyer, cny="20000.00")
    converted = f"U:{market.bj}:CONVERTED:2025"

    rest = await market.order(sells, account=seller, side="SELL", quantity=100)
    await market.until_status(rest["order_id"], "NEW")
    await market.order(buys, account=buyer, side="BUY", quantity=100)
    [settled] = await market.until_settlements(buyer, 1)

    # 100 t at 2:1 = 200 gross; 5% share of proceeds = 10 to KR's LEVY, 2% = 4 cancelled, 186 delivered
    assert (settled["type"], settled["delivered_quantity"], settled["delivered_asset"]) == (
        "TradeSettled", 186, converted)
    assert await market.settlements(seller) == [settled]
    assert await market.balances(buyer) == {
        "C:CNY": (2_000_000 - NOTIONAL - FEES.fee(NOTIONAL, maker=False), 0), converted: (186, 0)}
    assert await market.balances(seller) == {
        "C:CNY": (NOTIONAL - FEES.fee(NOTIONAL, maker=True), 0), market.unit: (900, 0)}
    [kr_accounts] = [line for line in (await market.client.get("/v1/levies")).json() if line["registry"] == market.kr]
    assert (kr_accounts["levy"], kr_accounts["cancellation"]) == ({converted: 10}, {converted: 4})
    link = (await market.client.get(f"/v1/links/{market.link_id}")).json()
    assert link["directions"][0]["quota"] | {"period": 0} == {"period": 0, "cap": PERIOD_CAP, "used": 186,
                                                               "reserved": 0, "remaining": PERIOD_CAP - 186}
    [pair] = [p for p in (await market.client.get("/v1/links/flows")).json() if p["registry_a"] == market.bj]
    assert (pair["a_to_b"]["consumed"], pair["a_to_b"]["delivered"], pair["net_out_of_a"]) == (100, 186, 100)
    adjustments = (await market.client.get("/v1/adjustments",
                                           params={"period": calendar_year(business_now_ms())})).json()["adjustments"]
    assert (adjustments[market.bj], adjustments[market.kr]) == (186, -186)

    before = {seller: await market.balances(seller), buyer: await market.balances(buyer)}
    rest = await market.order(sells, account=seller, side="SELL", quantity=100)
    await market.until_status(rest["order_id"], "NEW")
    refused = await market.client.post("/v1/orders", headers=buys, json={
        "instrument": market.instrument, "account": buyer, "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "price": "50.00", "quantity": 100, "client_order_id": "beyond-the-cap"})

    # 100 t more would reserve 200 gross units; 300 - 186 delivered leaves 114
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "PERIOD_CAP_EXCEEDED"
    assert refused.json()["details"]["reason_code"] == ReasonCode.PERIOD_CAP_EXCEEDED
    assert await market.balances(buyer) == before[buyer]
    link = (await market.client.get(f"/v1/links/{market.link_id}")).json()
    assert link["directions"][0]["quota"]["used"] == 186
    report = market.audit(pending_timeout_s=running_stack.settings.settlement_pending_timeout_s)
    assert report.ok, report.to_dict()
