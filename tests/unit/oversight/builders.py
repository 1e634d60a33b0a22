"""Event builders for the detector tests: every field has a default, tests override what matters."""

from __future__ import annotations

from shared.messages.order_events import OrderAccepted, OrderCancelled, PhaseChanged, TradeExecuted
from shared.messages.post_trade import BridgeCheckRecorded, TradeSettled
from shared.messages.vocabulary import OrderType, Phase, Side, TimeInForce
from services.oversight.detectors import Observed

INSTRUMENT = "BJEA-2025"


def accepted(order_id: str, *, at: int, account: str = "CN-BJ/a", side: Side = Side.BUY, price: int = 5000,
             quantity: int = 10, instrument: str = INSTRUMENT) -> Observed:
    return Observed(f"acc:{order_id}", at, OrderAccepted(
        order_id=order_id, instrument=instrument, account=account, side=side, order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC, price=price, quantity=quantity))


def cancelled(order_id: str, *, at: int, account: str = "CN-BJ/a", side: Side = Side.BUY, remaining: int = 10,
              instrument: str = INSTRUMENT, reason: str = "REQUESTED") -> Observed:
    return Observed(f"cxl:{order_id}", at, OrderCancelled(
        order_id=order_id, instrument=instrument, account=account, side=side, reason=reason,
        remaining_quantity=remaining))


def trade(trade_id: str, *, at: int, buy: str = "CN-BJ/a", sell: str = "CN-BJ/b", price: int = 5000,
          quantity: int = 10, aggressor: Side | None = Side.BUY, buy_order: str = "", sell_order: str = "",
          buy_leaves: int = 0, sell_leaves: int = 0, instrument: str = INSTRUMENT) -> Observed:
    return Observed(f"ev:{trade_id}", at, TradeExecuted(
        trade_id=trade_id, instrument=instrument, trade_seq=1, price=price, quantity=quantity,
        aggressor_side=aggressor, maker_order_id=sell_order or f"s-{trade_id}",
        taker_order_id=buy_order or f"b-{trade_id}",
        maker_account=sell, taker_account=buy, buy_order_id=buy_order or f"b-{trade_id}",
        sell_order_id=sell_order or f"s-{trade_id}", buy_account=buy, sell_account=sell,
        buy_leaves_quantity=buy_leaves, sell_leaves_quantity=sell_leaves))


def phase(event_id: str, *, at: int, previous: Phase, now: Phase, instrument: str = INSTRUMENT) -> Observed:
    return Observed(event_id, at, PhaseChanged(instrument=instrument, previous=previous, phase=now))


def settled(trade_id: str, *, at: int, buy: str, sell: str, asset: str, quantity: int = 100,
            delivered: int | None = None, instrument: str = INSTRUMENT) -> Observed:
    return Observed(f"set:{trade_id}", at, TradeSettled(
        trade_id=trade_id, instrument=instrument, buy_account=buy, sell_account=sell, price=5000, quantity=quantity,
        delivered_quantity=quantity if delivered is None else delivered, delivered_asset=asset, entry_ids=[],
        cross_registry=buy.partition("/")[0] != sell.partition("/")[0]))


def approved(trade_id: str, *, at: int, link_id: str) -> Observed:
    return Observed(f"audit:{trade_id}", at, BridgeCheckRecorded(
        trade_id=trade_id, link_id=link_id, checks=[], outcome="APPROVED", reason_code=0))
