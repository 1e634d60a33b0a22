"""Builders of a fill's settlement: delivery versus payment of a domestic trade in one entry, the trade holds of a
cross-registry one until the bridge answers, and their release on a refusal (cash legs from ``shared.cash_legs``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson

from shared import redis_keys
from shared.cash_legs import FillCash, fill_cash
from shared.fees import FeeSchedule, fill_portion
from shared.ledger.entries.plan import A, BUY, R, SELL, Plan, positive, refused
from shared.ledger.encoding import account_keys, encode
from shared.ledger.entries.quota import fill_to_hold
from shared.ledger.model import (
    AccountType,
    AdjustRecord,
    CreateRecord,
    DrainRecord,
    Entry,
    EntryKind,
    Posting,
    RecordOp,
    currency_asset,
    system_account,
)


@dataclass(frozen=True, slots=True)
class TradeSides:
    """Who trades what in one fill, and how much of each order is left after it."""

    trade_id: str
    buyer_account: str
    seller_account: str
    buy_order_id: str
    sell_order_id: str
    unit_class: str
    currency: str
    qty: int
    buy_leaves: int
    sell_leaves: int


def settle_domestic_trade(
    *, trade: TradeSides, price: int, buyer_is_maker: bool, fees: FeeSchedule, registry: str, time: int
) -> Plan:
    """Delivery versus payment of a domestic fill, in one entry ``settle:{trade_id}``.

    From the buyer's reservation: the fill's portion (price × qty + buyer fee + price improvement, the last
    released to available); from the seller's: the units. The seller gets the notional less its fee; both
    fees go to the registry's FEES account. An order the fill completes releases what remains of it.
    """
    keys = (redis_keys.reservation_key(trade.buy_order_id), redis_keys.reservation_key(trade.sell_order_id))
    entry_id = f"settle:{trade.trade_id}"
    cash = currency_asset(trade.currency)
    fees_account = system_account(registry, AccountType.FEES)

    def cash_of(buy: Mapping[str, str]) -> FillCash:
        return fill_cash(
            fees,
            limit_price=int(buy["limit_price"]),
            order_qty=int(buy["quantity"]),
            filled_before=int(buy["quantity"]) - trade.buy_leaves - trade.qty,
            qty=trade.qty,
            price=price,
            buyer_is_maker=buyer_is_maker,
        )

    def build(read: Sequence[Mapping[str, str]]) -> Entry:
        buy, _ = read
        if not positive(trade.qty, price):
            return Entry(entry_id=entry_id, kind=EntryKind.SETTLE, time=time, amounts=(trade.qty, price))
        try:
            fill = cash_of(buy)
        except (KeyError, ValueError) as exc:
            return refused(entry_id, EntryKind.SETTLE, time, keys[0], reason=str(exc))
        postings = [
            Posting(trade.buyer_account, cash, R, -fill.buyer.consumed),
            Posting(trade.buyer_account, cash, A, fill.buyer.released),
            Posting(trade.seller_account, cash, A, fill.seller.received),
            Posting(fees_account, cash, A, fill.fees),
            Posting(trade.seller_account, trade.unit_class, R, -trade.qty),
            Posting(trade.buyer_account, trade.unit_class, A, trade.qty),
        ]
        return Entry(
            entry_id=entry_id,
            kind=EntryKind.SETTLE,
            time=time,
            postings=tuple(p for p in postings if p.delta != 0),
            amounts=(trade.qty, price),
            records=_consume_orders(trade, keys, buy_portion=fill.buyer.consumed),
            meta={
                "trade_id": trade.trade_id,
                "price": price,
                "qty": trade.qty,
                "buyer_fee": fill.buyer.fee,
                "seller_fee": fill.seller.fee,
                "price_improvement": fill.buyer.released,
            },
        )

    def encoded(read: Sequence[Mapping[str, str]]) -> tuple[str, list[str], bytes]:
        fill = None
        if positive(trade.qty, price):
            try:
                fill = cash_of(read[0])
            except (KeyError, ValueError):
                pass
        if fill is None:  # an entry the script refuses: the reference path says how
            return entry_id, *encode(build(read))
        return entry_id, *_settlement_request(trade, keys, entry_id, fill, cash=cash, fees_account=fees_account,
                                              price=price, time=time)

    return Plan(keys, build, encoded)


def _settlement_request(trade: TradeSides, keys: tuple[str, str], entry_id: str, fill: FillCash, *, cash: str,
                        fees_account: str, price: int, time: int) -> tuple[list[str], bytes]:
    """``encode(build(read))`` of a domestic fill that fits its order, without the entry's objects: the same
    postings, records, accounts, journals and meta, in the same order (~4× cheaper on settlement's hot path)."""
    buyer, seller, unit = trade.buyer_account, trade.seller_account, trade.unit_class
    postings = []
    for account, asset, bucket, delta in (
        (buyer, cash, R, -fill.buyer.consumed),
        (buyer, cash, A, fill.buyer.released),
        (seller, cash, A, fill.seller.received),
        (fees_account, cash, A, fill.fees),
        (seller, unit, R, -trade.qty),
        (buyer, unit, A, trade.qty),
    ):
        if delta != 0:
            postings.append({"account": account, "asset": asset, "bucket": bucket, "delta": str(delta)})
    buy_key, sell_key = keys
    records: list[dict[str, object]] = [
        {"op": "adjust", "key": buy_key, "field": "remaining", "delta": str(-fill.buyer.consumed),
         "expect": {"account": buyer, "asset": cash}, "delete_at_zero": True},
        {"op": "adjust", "key": sell_key, "field": "remaining", "delta": str(-trade.qty),
         "expect": {"account": seller, "asset": unit}, "delete_at_zero": True},
    ]
    if trade.buy_leaves == 0:
        records.append({"op": "drain", "key": buy_key, "expect": {"account": buyer}, "missing_ok": True})
    if trade.sell_leaves == 0:
        records.append({"op": "drain", "key": sell_key, "expect": {"account": seller}, "missing_ok": True})
    accounts = {account: account_keys(account) for account in sorted({p["account"] for p in postings} | {buyer, seller})}
    journals = {reg: redis_keys.journal_key(reg) for reg in sorted({k["registry"] for k in accounts.values()})}
    entry_key = redis_keys.entry_key(entry_id)
    meta = {"trade_id": trade.trade_id, "price": price, "qty": trade.qty, "buyer_fee": fill.buyer.fee,
            "seller_fee": fill.seller.fee, "price_improvement": fill.buyer.released}
    request = {
        "entry_id": entry_id, "entry_key": entry_key, "kind": EntryKind.SETTLE.value, "time": str(time),
        "postings": postings, "records": records, "counters": [], "limits": [],
        "amounts": [str(trade.qty), str(price)], "declare_assets": [], "accounts": accounts, "journals": journals,
        "assets_key": redis_keys.ASSETS, "meta": orjson.dumps(meta).decode(),
    }
    touched = {entry_key, redis_keys.ASSETS, buy_key, sell_key, *journals.values()}
    for k in accounts.values():
        touched.update((k["bal"], k["acct"], k["limit"]))
    return sorted(touched), orjson.dumps(request)


def hold_for_bridge(*, trade: TradeSides, fees: FeeSchedule, time: int) -> Plan:
    """Move a cross-registry fill's part of both order reservations into trade holds, ``hold:{trade_id}``.

    The buyer's hold is the fill's whole reservation portion; the hold record keeps the limit price and the
    quantity so the bridge can split it with ``shared.cash_legs.split_buyer_portion``. Balances stay reserved.
    A buy across a link moves the fill's share of its quota reservation into the hold too (``fill_share``): the
    bridge's delivery consumes it, a refusal's release gives it back.
    """
    keys = (redis_keys.reservation_key(trade.buy_order_id), redis_keys.reservation_key(trade.sell_order_id))
    entry_id = f"hold:{trade.trade_id}"

    def build(read: Sequence[Mapping[str, str]]) -> Entry:
        buy, _ = read
        if not positive(trade.qty):
            return Entry(entry_id=entry_id, kind=EntryKind.HOLD, time=time, amounts=(trade.qty,))
        try:
            limit_price = int(buy["limit_price"])
            filled_before = int(buy["quantity"]) - trade.buy_leaves - trade.qty
            portion = fill_portion(
                fees,
                limit_price=limit_price,
                order_qty=int(buy["quantity"]),
                filled_before=filled_before,
                qty=trade.qty,
            )
            quota_ops, quota_fields = fill_to_hold(
                buy, key=keys[0], expect={"account": trade.buyer_account, "asset": currency_asset(trade.currency)},
                filled_before=filled_before, qty=trade.qty)
        except (KeyError, ValueError, ZeroDivisionError) as exc:
            return refused(entry_id, EntryKind.HOLD, time, keys[0], reason=str(exc))
        holds = (
            CreateRecord(
                redis_keys.hold_key(trade.trade_id, BUY),
                {
                    "account": trade.buyer_account,
                    "asset": currency_asset(trade.currency),
                    "remaining": str(portion),
                    "limit_price": str(limit_price),
                    "qty": str(trade.qty),
                    **quota_fields,
                },
            ),
            CreateRecord(
                redis_keys.hold_key(trade.trade_id, SELL),
                {"account": trade.seller_account, "asset": trade.unit_class, "remaining": str(trade.qty)},
            ),
        )
        return Entry(
            entry_id=entry_id,
            kind=EntryKind.HOLD,
            time=time,
            records=quota_ops + _consume_orders(trade, keys, buy_portion=portion) + holds,
            amounts=(trade.qty,),
            meta={"trade_id": trade.trade_id, "qty": trade.qty},
        )

    return Plan(keys, build)


def release_holds(*, trade_id: str, time: int) -> Plan:
    """Release both holds of a cross-registry trade (the bridge refused it); a no-op once they are gone."""
    keys = (redis_keys.hold_key(trade_id, BUY), redis_keys.hold_key(trade_id, SELL))

    def build(read: Sequence[Mapping[str, str]]) -> Entry:
        return Entry(
            entry_id=f"release-holds:{trade_id}",
            kind=EntryKind.RELEASE,
            time=time,
            records=tuple(DrainRecord(key, record.get("account"), missing_ok=True) for key, record in zip(keys, read)),
            meta={"trade_id": trade_id},
        )

    return Plan(keys, build)


def _consume_orders(trade: TradeSides, keys: tuple[str, str], *, buy_portion: int) -> tuple[RecordOp, ...]:
    buy_key, sell_key = keys
    ops: list[RecordOp] = [
        AdjustRecord(
            buy_key,
            "remaining",
            -buy_portion,
            expect={"account": trade.buyer_account, "asset": currency_asset(trade.currency)},
            delete_at_zero=True,
        ),
        AdjustRecord(
            sell_key,
            "remaining",
            -trade.qty,
            expect={"account": trade.seller_account, "asset": trade.unit_class},
            delete_at_zero=True,
        ),
    ]
    if trade.buy_leaves == 0:
        ops.append(DrainRecord(buy_key, trade.buyer_account, missing_ok=True))
    if trade.sell_leaves == 0:
        ops.append(DrainRecord(sell_key, trade.seller_account, missing_ok=True))
    return tuple(ops)
