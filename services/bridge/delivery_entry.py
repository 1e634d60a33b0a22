"""The one ledger entry that executes an approved cross-registry delivery, ``bridge:{trade_id}``.

Units leg: the seller's held units of the sent class leave its reserved balance; ``consumed`` of them go into
``{from}/BRIDGE`` and the ``remainder`` back to the seller's available. ``gross`` of the delivered class come
out of ``{to}/BRIDGE``: ``delivered`` to the buyer, ``levy`` to ``{to}/LEVY``, ``cancelled`` to
``{to}/CANCELLATION``. Cash leg: the buyer's held portion pays price × quantity + buyer fee; the seller receives
the notional less its fee, both fees go to the instrument registry's FEES account and the rest of the portion
(price improvement) returns to the buyer's available. The buyer pays for the traded quantity: conversion
rounding and levies are the cost of crossing the border.

Both holds are consumed, every quota use becomes a capped counter (refused with the rule engine's numeric
code), the net flow and the corresponding adjustments are counted, and the decision record is created for
idempotent replay. A cap counts what other orders have reserved with what was delivered (``cap_with``): the
buyer's hold, deleted by this entry, first gives back the quota share its order reserved for this fill
(``shared.quota``), so a trade that reserved at order entry fits its caps, and one that did not cannot take
headroom others reserved. Pure: no I/O.
"""

from __future__ import annotations

import orjson

from services.bridge import bridge_keys as keys
from services.bridge import rules
from services.bridge.usage import DeliveryState
from shared import redis_keys
from shared.ledger import (
    AccountType,
    AdjustRecord,
    CounterChange,
    CreateRecord,
    Entry,
    EntryKind,
    LimitCheck,
    Posting,
    currency_asset,
    system_account,
)
from shared.messages.post_trade import DeliveryRequested

A, R = redis_keys.AVAILABLE, redis_keys.RESERVED

_CAP_CODES = {
    rules.QuotaCounter.LINK_PERIOD: rules.ReasonCode.PERIOD_CAP_EXCEEDED,
    rules.QuotaCounter.ACCOUNT_PERIOD: rules.ReasonCode.ACCOUNT_CAP_EXCEEDED,
    rules.QuotaCounter.OBLIGATION_SHARE: rules.ReasonCode.OBLIGATION_SHARE_EXCEEDED,
    rules.QuotaCounter.FOREIGN_ORIGIN: rules.ReasonCode.LOCAL_ORIGIN_SHARE_BREACHED,
}


class InvalidCashLeg(ValueError):
    """The request's price and fees do not fit the buyer's hold: settlement and the hold disagree."""


def entry_id(trade_id: str) -> str:
    return f"bridge:{trade_id}"


def checks_json(checks: tuple[rules.CheckOutcome, ...]) -> list[dict[str, object]]:
    return [
        {"check": str(c.check), "outcome": str(c.outcome), "detail": c.detail,
         "code": None if c.code is None else int(c.code)}
        for c in checks
    ]


def approval_fields(approved: rules.Approved, *, time: int) -> dict[str, str]:
    """What the decision record and the audit log keep of an approval (all text)."""
    q = approved.quantities
    return {
        "outcome": "APPROVED",
        "reason_code": "0",
        "reason": "APPROVED",
        "message": "Delivered across the link.",
        "time": str(time),
        "link_id": approved.link_id,
        "from_registry": approved.from_registry,
        "to_registry": approved.to_registry,
        "period": str(approved.period),
        "sent_asset": approved.sent_class.asset_code,
        "delivered_asset": approved.delivered_class.asset_code,
        "sent": str(q.sent),
        "consumed": str(q.consumed),
        "remainder": str(q.remainder),
        "gross": str(q.gross),
        "delivered": str(q.delivered),
        "levy": str(q.levy),
        "cancelled": str(q.cancelled),
    }


def delivery_entry(
    approved: rules.Approved, *, request: DeliveryRequested, state: DeliveryState, fees_registry: str, time: int
) -> Entry:
    """The atomic entry of an approval (raises InvalidCashLeg when the request does not fit the buyer's hold)."""
    q = approved.quantities
    seller, buyer = approved.seller_account, approved.buyer_account
    sent, received = approved.sent_class.asset_code, approved.delivered_class.asset_code
    cash = currency_asset(request.currency)
    portion, paid, received_cash, fees = _cash_leg(request, state.buy_hold)

    postings = [
        Posting(seller, sent, R, -q.sent),
        Posting(seller, sent, A, q.remainder),
        Posting(system_account(approved.from_registry, AccountType.BRIDGE), sent, A, q.consumed),
        Posting(system_account(approved.to_registry, AccountType.BRIDGE), received, A, -q.gross),
        Posting(buyer, received, A, q.delivered),
        Posting(approved.levy_account, received, A, q.levy),
        Posting(approved.cancellation_account, received, A, q.cancelled),
        Posting(buyer, cash, R, -portion),
        Posting(buyer, cash, A, portion - paid),
        Posting(seller, cash, A, received_cash),
        Posting(system_account(fees_registry, AccountType.FEES), cash, A, fees),
    ]
    records = (
        AdjustRecord(redis_keys.hold_key(approved.trade_id, "sell"), "remaining", -q.sent,
                     expect={"account": seller, "asset": sent}, delete_at_zero=True),
        AdjustRecord(redis_keys.hold_key(approved.trade_id, "buy"), "remaining", -portion,
                     expect={"account": buyer, "asset": cash}, delete_at_zero=True),
        CreateRecord(keys.decision_key(approved.trade_id), {
            **approval_fields(approved, time=time),
            "remaining": "0",
            "checks": orjson.dumps(checks_json(approved.checks)).decode(),
            "audited": "0",
        }),
    )
    counters, limits = _quota_changes(approved)
    return Entry(
        entry_id=entry_id(approved.trade_id),
        kind=EntryKind.BRIDGE_DELIVERY,
        time=time,
        postings=tuple(p for p in postings if p.delta != 0),
        records=records,
        counters=counters + _flow_changes(approved) + _adjustment_changes(approved, state),
        limits=limits,
        amounts=(request.quantity, request.price),
        declare_assets=(received,),
        meta={
            "trade_id": approved.trade_id,
            "link_id": approved.link_id,
            "price": request.price,
            "qty": request.quantity,
            "delivered": q.delivered,
            "levy": q.levy,
            "cancelled": q.cancelled,
            "remainder": q.remainder,
            "buyer_fee": request.buyer_fee,
            "seller_fee": request.seller_fee,
            "price_improvement": portion - paid,
        },
    )


def decision_record(entry: Entry) -> dict[str, str]:
    """The decision record a delivery entry creates, as the entry leaves it."""
    [record] = [op for op in entry.records if isinstance(op, CreateRecord)]
    return dict(record.fields)


def _cash_leg(request: DeliveryRequested, buy_hold: dict[str, str]) -> tuple[int, int, int, int]:
    """(portion taken from the buyer's hold, paid by the buyer, received by the seller, fees).

    Settlement computed ``buyer_cash`` (notional + buyer fee) and ``seller_cash`` (notional - seller fee)
    from the same hold; they must conserve cash and fit the hold.
    """
    notional = request.price * request.quantity
    fees = request.buyer_fee + request.seller_fee
    if request.buyer_cash != notional + request.buyer_fee or request.seller_cash != notional - request.seller_fee:
        raise InvalidCashLeg(f"buyer_cash {request.buyer_cash} / seller_cash {request.seller_cash} do not match "
                             f"{request.price} x {request.quantity} and fees "
                             f"{request.buyer_fee} / {request.seller_fee}")
    try:
        portion = int(buy_hold["remaining"])
        limit_price = int(buy_hold["limit_price"])
    except (KeyError, ValueError):
        # no hold: the ledger refuses the entry (RESERVATION_MISMATCH) before looking at any balance
        return 1, request.buyer_cash, request.seller_cash, fees
    if request.price > limit_price or request.buyer_cash > portion:
        raise InvalidCashLeg(f"paying {request.buyer_cash} at {request.price} does not fit the buyer's hold of "
                             f"{portion} at limit {limit_price}")
    return portion, request.buyer_cash, request.seller_cash, fees


def _quota_changes(approved: rules.Approved) -> tuple[tuple[CounterChange, ...], tuple[LimitCheck, ...]]:
    counters: list[CounterChange] = []
    limits: list[LimitCheck] = []
    for use in approved.quota_uses:
        if use.counter is rules.QuotaCounter.HOLDING:
            if use.limit is not None:
                limits.append(LimitCheck(approved.buyer_account, approved.delivered_class.asset_code, use.limit))
            continue
        field = _quota_field(use)
        counters.append(CounterChange(
            keys.quota_key(use.period), field, use.amount, use.limit, str(int(_CAP_CODES[use.counter])),
            cap_with=(keys.reserved_field(field),) if use.limit is not None else (),
        ))
    return tuple(counters), tuple(limits)


def _quota_field(use: rules.QuotaUse) -> str:
    match use.counter:
        case rules.QuotaCounter.LINK_PERIOD:
            return keys.link_field(use.link_id, use.from_registry, use.to_registry)
        case rules.QuotaCounter.ACCOUNT_PERIOD:
            assert use.account is not None
            return keys.account_field(use.link_id, use.from_registry, use.to_registry, use.account)
        case rules.QuotaCounter.OBLIGATION_SHARE:
            assert use.account is not None
            return keys.obligation_field(use.account)
        case _:
            assert use.account is not None
            return keys.foreign_field(use.account)


def _flow_changes(approved: rules.Approved) -> tuple[CounterChange, ...]:
    q = approved.quantities
    values = {"transfers": 1, "consumed": q.consumed, "gross": q.gross, "delivered": q.delivered,
              "levy": q.levy, "cancelled": q.cancelled}
    return tuple(
        CounterChange(keys.NETFLOW, keys.netflow_field(approved.from_registry, approved.to_registry, name), value)
        for name, value in values.items()
        if value
    )


def _adjustment_changes(approved: rules.Approved, state: DeliveryState) -> tuple[CounterChange, ...]:
    """Adjustments per registry and period, and the pools of units that adjustments already cover."""
    q = approved.quantities
    changes = [
        CounterChange(keys.adjustments_key(a.period), a.registry, a.quantity) for a in approved.adjustments
    ]
    covered = bool(approved.adjustments) or state.usage.units_already_adjusted
    if state.usage.units_already_adjusted:
        changes.append(CounterChange(
            keys.ADJUSTED_POOL, keys.pool_field(approved.from_registry, approved.sent_class.asset_code), -q.consumed
        ))
    if covered and approved.delivered_class.origin != approved.to_registry:
        changes.append(CounterChange(
            keys.ADJUSTED_POOL, keys.pool_field(approved.to_registry, approved.delivered_class.asset_code), q.delivered
        ))
    return tuple(changes)
