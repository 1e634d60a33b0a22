"""Builders and readers shared by the matching core tests."""

from __future__ import annotations

from services.matching.core import InstrumentRules, MatchingEngine, SubmitOrder, TradeExecuted
from services.matching.core.vocabulary import BUY, CONTINUOUS, SELL


def make_engine(*, phase: str = CONTINUOUS, reference_price: int | None = None, **rules) -> MatchingEngine:
    return MatchingEngine(InstrumentRules(instrument=rules.pop("instrument", "CEA"), **rules), phase=phase,
                          reference_price=reference_price)


def buy(order_id: str, quantity: int, price: int | None = None, *, account: str = "CN-BJ/buyer", **fields) -> SubmitOrder:
    return SubmitOrder(order_id=order_id, account=account, side=BUY, quantity=quantity, price=price, **fields)


def sell(order_id: str, quantity: int, price: int | None = None, *, account: str = "CN-SH/seller", **fields) -> SubmitOrder:
    return SubmitOrder(order_id=order_id, account=account, side=SELL, quantity=quantity, price=price, **fields)


def run(engine: MatchingEngine, *commands) -> list:
    events = []
    for command in commands:
        events.extend(engine.handle(command))
    return events


def of_type(events: list, cls: type) -> list:
    return [event for event in events if type(event) is cls]


def fills(events: list) -> list[tuple[str, str, int, int]]:
    """(buy order id, sell order id, price, quantity) of each trade, in order."""
    return [(t.buy_order_id, t.sell_order_id, t.price, t.quantity) for t in of_type(events, TradeExecuted)]


def resting(engine: MatchingEngine) -> dict[str, list[tuple[int, str, int]]]:
    """(price, order id, open quantity) per side, best first, each level in time priority."""
    return {side: [(o.price, o.order_id, o.remaining) for o in engine.book.side(side).orders_best_first()]
            for side in (BUY, SELL)}
