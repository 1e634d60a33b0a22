"""Post-trade anonymity: a trader sees its own side of a trade, on the WebSocket as in its lists."""

from __future__ import annotations

from services.order_entry.stream_hub import Hub, Subscriber
from services.order_entry.trade_views import own_side

TRADE = {"trade_id": "X:T1", "instrument": "X", "price": 5, "quantity": 1, "aggressor_side": "BUY",
         "buy_account": "R/alpha", "sell_account": "R/beta", "buy_order_id": "b", "sell_order_id": "s",
         "maker_account": "R/beta", "taker_account": "R/alpha", "maker_order_id": "s", "taker_order_id": "b",
         "buy_leaves_quantity": 0, "sell_leaves_quantity": 3}


def test_a_party_sees_its_own_side_and_nothing_of_the_counterparty() -> None:
    seller = own_side(TRADE, {"R/beta"})
    assert seller == {"trade_id": "X:T1", "instrument": "X", "price": 5, "quantity": 1, "aggressor_side": "BUY",
                      "sell_account": "R/beta", "sell_order_id": "s", "sell_leaves_quantity": 3, "side": "SELL",
                      "liquidity": "MAKER"}


def test_operators_and_parties_to_both_sides_see_everything() -> None:
    assert own_side(TRADE, None) == TRADE
    assert own_side(TRADE, {"R/alpha", "R/beta"}) == TRADE


def test_the_hub_sends_each_trader_its_own_side_of_an_execution() -> None:
    hub = Hub()
    alpha, operator = Subscriber(accounts={"R/alpha"}), Subscriber(accounts=None)
    hub.subscribers |= {alpha, operator}
    hub.dispatch("TradeExecuted", TRADE, event_id="e1", occurred_at=1)
    mine = alpha.queue.get_nowait()["data"]
    assert "sell_account" not in mine and "maker_account" not in mine and mine["side"] == "BUY"
    assert operator.queue.get_nowait()["data"]["sell_account"] == "R/beta"
