"""Wash trades: a trade between two different accounts of one beneficial owner. Self-trade prevention sees
only one account; the ownership groups the operator records see through it."""

from __future__ import annotations

from shared.messages.operations import AlertRaised
from shared.messages.order_events import TradeExecuted

from services.oversight.detectors.observed import WASH_TRADE, Observed, Owners, alert


def wash_trade(event: Observed, trade: TradeExecuted, owners: Owners) -> AlertRaised | None:
    """An alert when both sides of ``trade`` belong to one recorded ownership group."""
    if trade.buy_account == trade.sell_account or not owners.grouped(trade.buy_account):
        return None
    owner = owners.of(trade.buy_account)
    if owners.of(trade.sell_account) != owner:
        return None
    return alert(WASH_TRADE, key=trade.trade_id, severity="HIGH", subject=trade.instrument, owner=owner,
                 evidence=[event.event_id], raised_at=event.at,
                 summary=f"{owner} traded {trade.quantity} t with itself across accounts",
                 details={"buy_account": trade.buy_account, "sell_account": trade.sell_account,
                          "quantity": trade.quantity, "price": trade.price})
