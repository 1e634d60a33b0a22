"""Issue 6, end to end through the HTTP API: suspending a link while a Seoul buy rests on the Beijing instrument
and a cross-border trade waits for the link's settlement window (the Ontario 2018 drill)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from services.bridge import deferrals
from services.bridge.rules import ReasonCode
from tests.integration.e2e.market import LinkedMarket
from tests.polling import eventually

pytestmark = pytest.mark.integration

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def a_weekday_days_away(days: int) -> str:
    """A settlement day far enough ahead that a trade matched now, even just before midnight, waits for it."""
    return WEEKDAYS[(datetime.now(UTC).weekday() + days) % 7]


@dataclass
class Scene:
    """A trade waiting for the link's window, a Seoul bid and a Beijing bid resting, balances before the trade."""

    seller: str
    buyer: str
    trade_id: str
    foreign_bid: str
    local_bid: str
    before: tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]
    foreign_key: dict[str, str]
    foreign_account: str


async def waiting_trade_and_resting_bids(market: LinkedMarket, *, in_flight: str) -> Scene:
    await market.open(exchange_rate="2", levy_share="0.05", cancellation_share="0.02",
                      calendar={"weekdays": [a_weekday_days_away(3)]},
                      suspension={"in_flight": in_flight, "mass_cancel_resting": True})
    seller, buyer, resting = f"{market.bj}/acme-steel", f"{market.kr}/seoul-power", f"{market.kr}/incheon-gas"
    local = f"{market.bj}/beijing-heat"
    sells = await market.trader(seller, units=1_000)
    buys = await market.trader(buyer, cny="10000.00")
    rests = await market.trader(resting, cny="10000.00")
    locals_ = await market.trader(local, cny="10000.00")
    before = (await market.balances(seller), await market.balances(buyer))

    ask = await market.order(sells, account=seller, side="SELL", quantity=100)
    await market.until_status(ask["order_id"], "NEW")
    await market.order(buys, account=buyer, side="BUY", quantity=100)
    foreign_bid = await market.order(rests, account=resting, side="BUY", quantity=50, price="49.00")
    local_bid = await market.order(locals_, account=local, side="BUY", quantity=50, price="48.00")
    await market.until_status(foreign_bid["order_id"], "NEW")
    await market.until_status(local_bid["order_id"], "NEW")
    trade_id = await eventually(lambda: parked_trade_of(market, buyer), what="the trade to wait for the window")
    return Scene(seller=seller, buyer=buyer, trade_id=trade_id, foreign_bid=foreign_bid["order_id"],
                 local_bid=local_bid["order_id"], before=before, foreign_key=rests, foreign_account=resting)


async def parked_trade_of(market: LinkedMarket, buyer: str) -> str | None:
    client = aioredis.Redis.from_url(market.redis_url)
    try:
        return next((request.trade_id for request, _ in await deferrals.parked(client) if request.buy_account == buyer),
                    None)
    finally:
        await client.aclose()


async def refused_and_released(market: LinkedMarket, scene: Scene, code: ReasonCode) -> None:
    """Both parties see the refusal with the bridge's code, and both sides of the trade are released."""
    [failed] = await market.until_settlements(scene.buyer, 1)
    assert (failed["trade_id"], failed["type"], failed["reason_code"]) == (scene.trade_id, "TradeFailed", code)
    assert await market.settlements(scene.seller) == [failed]

    async def released() -> bool:
        return (await market.balances(scene.seller), await market.balances(scene.buyer)) == scene.before

    await eventually(released, what="both sides of the refused trade released")


async def test_suspension_cancels_resting_foreign_orders_refuses_the_waiting_trade_and_keeps_the_books_balanced(
    market: LinkedMarket, running_stack
) -> None:
    scene = await waiting_trade_and_resting_bids(market, in_flight="REFUSE")

    report = await market.link_command("suspend")

    assert (report["outcome"], report["status"]) == ("DONE", "SUSPENDED")
    assert (report["refused"], report["settling"]) == ([scene.trade_id], [])
    assert report["mass_cancels"] == [{"instrument": market.instrument, "registry": market.kr}]
    [pair] = report["net_flows"]
    assert (pair["registry_a"], pair["a_to_b"]["transfers"], pair["net_out_of_a"]) == (market.bj, 0, 0)
    await market.until_status(scene.foreign_bid, "CANCELLED")
    assert await market.order_status(scene.local_bid) == "NEW"
    await refused_and_released(market, scene, ReasonCode.LINK_SUSPENDED)
    after = await market.client.post("/v1/orders", headers=scene.foreign_key, json={
        "instrument": market.instrument, "account": scene.foreign_account, "side": "BUY", "type": "LIMIT",
        "price": "49.00", "quantity": 10, "client_order_id": "after-suspension"})
    assert after.status_code == 422 and after.json()["code"] == "CROSS_REGISTRY_NOT_ELIGIBLE"
    audit = market.audit(pending_timeout_s=running_stack.settings.settlement_pending_timeout_s)
    assert audit.ok, audit.to_dict()


async def test_with_a_settle_policy_the_waiting_trade_keeps_its_place_until_the_link_is_terminated(
    market: LinkedMarket, running_stack
) -> None:
    scene = await waiting_trade_and_resting_bids(market, in_flight="SETTLE")

    suspended = await market.link_command("suspend")

    assert (suspended["refused"], suspended["settling"]) == ([], [scene.trade_id])
    await market.until_status(scene.foreign_bid, "CANCELLED")
    assert await parked_trade_of(market, scene.buyer) == scene.trade_id
    assert await market.settlements(scene.buyer) == []
    audit = market.audit(pending_timeout_s=running_stack.settings.settlement_pending_timeout_s)
    assert audit.ok, audit.to_dict()

    terminated = await market.link_command("terminate")

    assert (terminated["status"], terminated["refused"]) == ("TERMINATED", [scene.trade_id])
    await refused_and_released(market, scene, ReasonCode.LINK_TERMINATED)
    assert await market.order_status(scene.local_bid) == "NEW"
    audit = market.audit(pending_timeout_s=running_stack.settings.settlement_pending_timeout_s)
    assert audit.ok, audit.to_dict()
