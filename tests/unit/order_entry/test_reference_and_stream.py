"""Reference models (linkage admission), candles, and the WebSocket fan-out hub."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.order_entry.market_data import candles
from services.order_entry.stream_hub import Hub, Subscriber
from shared.messages.order_events import BookDelta, OrderAccepted, TradeExecuted
from shared.messages.post_trade import TradeSettled
from shared.messages.vocabulary import Message, Side
from shared.reference import LinkageTerms, UnitClass

BJ_ALLOWANCE = UnitClass(origin="CN-BJ", type="ALLOWANCE", vintage=2025)


def link(**overrides) -> LinkageTerms:
    return LinkageTerms(**({"id": "L", "kind": "UNILATERAL", "from_registry": "CN-BJ", "to_registry": "KR"} | overrides))


def test_a_unilateral_link_admits_eligible_units_one_way_only() -> None:
    assert link().admits(from_registry="CN-BJ", to_registry="KR", unit=BJ_ALLOWANCE, at=0) is None
    assert link().admits(from_registry="KR", to_registry="CN-BJ", unit=BJ_ALLOWANCE, at=0) == "NO_LINK"
    assert link(kind="BILATERAL").admits(from_registry="KR", to_registry="CN-BJ",
                                         unit=UnitClass(origin="KR", type="ALLOWANCE", vintage=2025), at=0) is None


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"status": "SUSPENDED", "suspended_at": 1}, "LINK_SUSPENDED"),
    ({"effective_from": 10}, "LINK_NOT_EFFECTIVE"),
    ({"unit_types": ["OFFSET"]}, "UNIT_TYPE_NOT_ELIGIBLE"),
    ({"min_vintage": 2026}, "VINTAGE_NOT_ELIGIBLE"),
    ({"origins": ["JP-TYO"]}, "ORIGIN_NOT_ELIGIBLE"),
])
def test_a_link_names_why_it_does_not_admit_a_unit(overrides: dict, reason: str) -> None:
    assert link(**overrides).admits(from_registry="CN-BJ", to_registry="KR", unit=BJ_ALLOWANCE, at=0) == reason


@pytest.mark.parametrize("overrides", [
    {"to_registry": "CN-BJ"}, {"kind": "MULTILATERAL"}, {"levy_share": "0.6", "cancellation_share": "0.4"},
    {"exchange_rate": "0"}, {"discount": "1.5"}, {"exchange_rate": "0.1" * 30},
])
def test_inconsistent_link_terms_are_refused(overrides: dict) -> None:
    with pytest.raises(ValidationError):
        link(**overrides)


def test_fractions_are_stored_exact_and_normalised() -> None:
    assert link(exchange_rate="0.50", levy_share="5/100").model_dump()["exchange_rate"] == "1/2"
    assert link(levy_share="5/100").levy_share == "1/20"


def test_candles_group_trades_by_interval_oldest_first() -> None:
    trades = [{"price": 12, "quantity": 1, "at": 61_000}, {"price": 9, "quantity": 2, "at": 30_000},
              {"price": 10, "quantity": 5, "at": 1_000}]
    assert candles(trades, 60_000) == [(0, 10, 10, 9, 9, 7, 2), (60_000, 12, 12, 12, 12, 1, 1)]


def test_the_hub_sends_public_channels_to_subscribers_and_private_events_to_their_accounts() -> None:
    hub = Hub()
    public, alpha, operator = Subscriber(channels={"trades:X"}), Subscriber(accounts={"R/alpha"}), Subscriber(accounts=None)
    hub.subscribers |= {public, alpha, operator}
    trade = TradeExecuted(trade_id="X:T1", instrument="X", trade_seq=1, price=5, quantity=1, buy_order_id="b",
                          sell_order_id="s", buy_account="R/alpha", sell_account="R/beta", maker_order_id="s",
                          taker_order_id="b", maker_account="R/beta", taker_account="R/alpha",
                          aggressor_side=Side.BUY, buy_leaves_quantity=0, sell_leaves_quantity=0)
    _dispatch(hub, trade, event_id="e1", occurred_at=1)
    _dispatch(hub, OrderAccepted(order_id="o", instrument="X", account="R/beta", side=Side.BUY, order_type="LIMIT",
                               time_in_force="GTC", price=5, quantity=1), event_id="e2", occurred_at=2)
    _dispatch(hub, BookDelta(instrument="Y", side=Side.BUY, price=5, quantity=1, order_count=1), event_id="e3", occurred_at=3)
    _dispatch(hub, TradeSettled(trade_id="X:T1", instrument="X", buy_account="R/alpha", sell_account="R/beta", price=5,
                              quantity=1, delivered_quantity=1, delivered_asset="U", entry_ids=[], cross_registry=False),
                 event_id="e4", occurred_at=4)

    assert _drain(public) == [("trades:X", "e1")]
    assert _drain(alpha) == [("executions", "e1"), ("settlements", "e4")]
    assert _drain(operator) == [("executions", "e1"), ("executions", "e2"), ("settlements", "e4")]


def _dispatch(hub: Hub, message: Message, *, event_id: str, occurred_at: int) -> None:
    hub.dispatch(type(message).__name__, message.model_dump(mode="json"), event_id=event_id, occurred_at=occurred_at)


def _drain(sub: Subscriber) -> list[tuple[str, str]]:
    out = []
    while not sub.queue.empty():
        item = sub.queue.get_nowait()
        if item["channel"].startswith("trades:"):
            assert "buy_account" not in item["data"]
        out.append((item["channel"], item["event_id"]))
    return out
