"""Between the wire and the ledger: a matched trade becomes ledger work, ledger results become settlement events.

Which way a trade settles: domestic when both accounts are in the instrument's registry (delivery versus
payment in one ledger entry), cross-registry otherwise (holds, then the bridge decides).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from shared.cash_legs import seller_leg, split_buyer_portion
from shared.fees import FeeSchedule
from shared.ledger import Plan, PostResult, TradeSides, registry_of
from shared.ledger import entries as ledger_entries
from shared.messages.order_events import TradeExecuted
from shared.messages.post_trade import DeliveryDecided, DeliveryRequested, TradeFailed, TradeSettled
from shared.reference import Instrument

#: Reason code of a trade the ledger refused to settle or hold (the ledger's own code is in ``reason``).
#: Bridge codes are 71xx (services.bridge.rules.reasons); settlement's own are 81xx.
LEDGER_REFUSED = 8101


def is_cross_registry(trade: TradeExecuted, instrument: Instrument) -> bool:
    """True when either account lives outside the instrument's registry (raises ValueError on a bad account id)."""
    return registry_of(trade.buy_account) != instrument.registry or registry_of(trade.sell_account) != instrument.registry


def trade_sides(trade: TradeExecuted, instrument: Instrument) -> TradeSides:
    return TradeSides(
        trade_id=trade.trade_id, buyer_account=trade.buy_account, seller_account=trade.sell_account,
        buy_order_id=trade.buy_order_id, sell_order_id=trade.sell_order_id, unit_class=instrument.unit_asset,
        currency=instrument.currency, qty=trade.quantity, buy_leaves=trade.buy_leaves_quantity,
        sell_leaves=trade.sell_leaves_quantity,
    )


def trade_plan(trade: TradeExecuted, instrument: Instrument, *, at: int) -> tuple[bool, Plan]:
    """Whether the trade crosses registries, and its ledger work at business time ``at``: delivery versus payment
    in one entry (domestic) or both sides' holds for the bridge. Raises ValueError on a bad account id."""
    cross = is_cross_registry(trade, instrument)
    sides = trade_sides(trade, instrument)
    fees = fee_schedule(instrument)
    if cross:
        return True, ledger_entries.hold_for_bridge(trade=sides, fees=fees, time=at)
    return False, ledger_entries.settle_domestic_trade(trade=sides, price=trade.price, fees=fees,
                                                       buyer_is_maker=buyer_is_maker(trade),
                                                       registry=instrument.registry, time=at)


def fee_schedule(instrument: Instrument) -> FeeSchedule:
    """``instrument.fee_schedule``, made once per schedule (the property builds and checks a new one each time)."""
    fees = instrument.fees
    return _schedule(fees.maker_bps, fees.taker_bps, fees.min_fee)


@lru_cache(maxsize=1024)
def _schedule(maker_bps: int, taker_bps: int, min_fee: int) -> FeeSchedule:
    return FeeSchedule(maker_bps, taker_bps, min_fee)


def buyer_is_maker(trade: TradeExecuted) -> bool:
    return trade.maker_order_id == trade.buy_order_id


def delivery_request(trade: TradeExecuted, instrument: Instrument, buy_hold: Mapping[str, str], *,
                     matched_at: int) -> DeliveryRequested:
    """What the bridge needs to execute a held trade. ``buy_hold`` is the buyer's hold record
    (remaining = the fill's reservation portion, limit_price): the buyer pays ``buyer_cash`` = notional +
    buyer fee out of it (the rest is price improvement), the seller receives ``seller_cash`` = notional −
    seller fee, and both fees go to the FEES account of the instrument's registry."""
    schedule = instrument.fee_schedule
    maker = buyer_is_maker(trade)
    buyer = split_buyer_portion(schedule, portion=int(buy_hold["remaining"]),
                                      limit_price=int(buy_hold["limit_price"]), qty=trade.quantity,
                                      price=trade.price, maker=maker)
    seller = seller_leg(schedule, price=trade.price, qty=trade.quantity, maker=not maker)
    return DeliveryRequested(
        trade_id=trade.trade_id, instrument=trade.instrument, currency=instrument.currency,
        unit_asset=instrument.unit_asset, price=trade.price, quantity=trade.quantity,
        buy_order_id=trade.buy_order_id, sell_order_id=trade.sell_order_id, buy_account=trade.buy_account,
        sell_account=trade.sell_account, buyer_cash=buyer.paid, seller_cash=seller.received,
        buyer_fee=buyer.fee, seller_fee=seller.fee, matched_at=matched_at,
    )


def settled_payload(trade: TradeExecuted, instrument: Instrument, entry_id: str) -> dict[str, object]:
    """A domestic trade's ``TradeSettled`` as ``model_dump(mode="json")`` gives it, without building the model: it is
    made on settlement's hot path, and every field is a validated str, int or bool already (a unit test holds it
    equal to the model's dump)."""
    return {
        "trade_id": trade.trade_id, "instrument": trade.instrument, "buy_account": trade.buy_account,
        "sell_account": trade.sell_account, "price": trade.price, "quantity": trade.quantity,
        "delivered_quantity": trade.quantity, "delivered_asset": instrument.unit_asset, "entry_ids": [entry_id],
        "cross_registry": False,
    }


def refused_by_ledger(trade: TradeExecuted, result: PostResult) -> TradeFailed:
    return TradeFailed(
        trade_id=trade.trade_id, instrument=trade.instrument, buy_account=trade.buy_account,
        sell_account=trade.sell_account, quantity=trade.quantity, reason_code=LEDGER_REFUSED,
        reason=result.code or "LEDGER_REFUSED", message=result.message or "the ledger refused the trade",
    )


def settled_by_bridge(request: DeliveryRequested, decision: DeliveryDecided, hold_entry_id: str) -> TradeSettled:
    entry_ids = [hold_entry_id] + ([decision.entry_id] if decision.entry_id else [])
    return TradeSettled(
        trade_id=request.trade_id, instrument=request.instrument, buy_account=request.buy_account,
        sell_account=request.sell_account, price=request.price, quantity=request.quantity,
        delivered_quantity=decision.delivered_quantity, delivered_asset=decision.delivered_asset or request.unit_asset,
        entry_ids=entry_ids, cross_registry=True,
    )


def refused_by_bridge(request: DeliveryRequested, decision: DeliveryDecided) -> TradeFailed:
    return TradeFailed(
        trade_id=request.trade_id, instrument=request.instrument, buy_account=request.buy_account,
        sell_account=request.sell_account, quantity=request.quantity, reason_code=decision.reason_code,
        reason=decision.reason or "REFUSED", message=decision.message or "the bridge refused the delivery",
    )
