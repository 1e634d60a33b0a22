"""Builders of ledger entries for every movement: pure functions from business arguments to an Entry.

A builder that needs the current state of a record (settlement, release, rebase) returns a Plan: the record keys to
read first and a pure function from what was read to the Entry. The sync and asyncio ledgers run the same
plans, so the amounts are computed once, here, by the pure rules of ``shared.fees`` and ``shared.cash_legs``;
Lua only validates and applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from shared import redis_keys
from shared.cash_legs import fill_cash
from shared.fees import FeeSchedule, buy_reservation, fill_portion, true_up
from shared.ledger.compliance import SurrenderLimits, surrender_caps
from shared.ledger.model import (
    AccountType,
    AdjustRecord,
    CounterChange,
    CreateRecord,
    DrainRecord,
    Entry,
    EntryKind,
    Posting,
    RecordOp,
    SetRecord,
    currency_asset,
    registry_of,
    system_account,
)

A = redis_keys.AVAILABLE
R = redis_keys.RESERVED
BUY = "buy"
SELL = "sell"


@dataclass(frozen=True, slots=True)
class Plan:
    """Read these hashes (HGETALL, decoded to str), then build the entry from them, in order."""

    reads: tuple[str, ...]
    build: Callable[[Sequence[Mapping[str, str]]], Entry]


def _move(*, source: str, target: str, asset: str, qty: int) -> tuple[Posting, Posting]:
    return Posting(source, asset, A, -qty), Posting(target, asset, A, qty)


def issue(*, entry_id: str, registry: str, unit_class: str, qty: int, to_account: str, time: int) -> Entry:
    """Create ``qty`` units of a class in the registry's ISSUANCE account (it goes negative) for ``to_account``."""
    _require_registry(registry, to_account)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.ISSUE,
        time=time,
        amounts=(qty,),
        postings=_move(
            source=system_account(registry, AccountType.ISSUANCE), target=to_account, asset=unit_class, qty=qty
        ),
        declare_assets=(unit_class,),
    )


def allocate(*, entry_id: str, registry: str, unit_class: str, qty: int, to_account: str, time: int) -> Entry:
    """Issue units as an entity's allocation and count them in ``allocation:{account}`` (for holding limits)."""
    base = issue(entry_id=entry_id, registry=registry, unit_class=unit_class, qty=qty, to_account=to_account, time=time)
    counter = CounterChange(redis_keys.counter_key(f"allocation:{to_account}"), unit_class, qty)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.ALLOCATE,
        time=time,
        postings=base.postings,
        counters=(counter,),
        amounts=base.amounts,
        declare_assets=base.declare_assets,
    )


def transfer(*, entry_id: str, from_account: str, to_account: str, asset: str, qty: int, time: int) -> Entry:
    """Move available units or cash between two accounts."""
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.TRANSFER,
        time=time,
        amounts=(qty,),
        postings=_move(source=from_account, target=to_account, asset=asset, qty=qty),
    )


def deposit(*, entry_id: str, account: str, currency: str, amount: int, time: int) -> Entry:
    """Cash enters through the CASH-GATEWAY of the account's registry."""
    gateway = system_account(registry_of(account), AccountType.CASH_GATEWAY)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.DEPOSIT,
        time=time,
        amounts=(amount,),
        postings=_move(source=gateway, target=account, asset=currency_asset(currency), qty=amount),
    )


def withdraw(*, entry_id: str, account: str, currency: str, amount: int, time: int) -> Entry:
    """Available cash leaves through the CASH-GATEWAY of the account's registry."""
    gateway = system_account(registry_of(account), AccountType.CASH_GATEWAY)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.WITHDRAW,
        time=time,
        amounts=(amount,),
        postings=_move(source=account, target=gateway, asset=currency_asset(currency), qty=amount),
    )


def charge_fee(*, entry_id: str, account: str, currency: str, amount: int, time: int) -> Entry:
    """A fee outside trading (e.g. an account fee) from available cash to the registry's FEES account."""
    fees = system_account(registry_of(account), AccountType.FEES)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.FEE,
        time=time,
        amounts=(amount,),
        postings=_move(source=account, target=fees, asset=currency_asset(currency), qty=amount),
    )


def retire(*, entry_id: str, account: str, unit_class: str, qty: int, time: int) -> Entry:
    """Voluntary retirement: units to the registry's RETIREMENT account, for good."""
    target = system_account(registry_of(account), AccountType.RETIREMENT)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.RETIRE,
        time=time,
        amounts=(qty,),
        postings=_move(source=account, target=target, asset=unit_class, qty=qty),
    )


def cancel_units(*, entry_id: str, account: str, unit_class: str, qty: int, time: int) -> Entry:
    """Cancellation (e.g. a mandatory one after delinking): units to the registry's CANCELLATION account."""
    target = system_account(registry_of(account), AccountType.CANCELLATION)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.CANCEL,
        time=time,
        amounts=(qty,),
        postings=_move(source=account, target=target, asset=unit_class, qty=qty),
    )


def surrender(*, entry_id: str, account: str, unit_class: str, qty: int, period: str, time: int) -> Plan:
    """Surrender units against the account's verified emissions of ``period``, within the registry's limits.

    Refused with OBLIGATION_EXCEEDED beyond the obligation, OFFSET_LIMIT_EXCEEDED / FOREIGN_LIMIT_EXCEEDED
    beyond the registry's shares; the usage counter ``surrender:{account}:{period}`` makes the check atomic.
    """
    registry = registry_of(account)

    def build(read: Sequence[Mapping[str, str]]) -> Entry:
        registry_record, emissions = read
        limits = SurrenderLimits(
            offset_share=_fraction(registry_record.get("offset_share")),
            foreign_share=_fraction(registry_record.get("foreign_share")),
        )
        caps = surrender_caps(
            registry_id=registry, unit_class=unit_class, obligation=int(emissions.get(period, 0)), limits=limits
        )
        usage = redis_keys.counter_key(f"surrender:{account}:{period}")
        return Entry(
            entry_id=entry_id,
            kind=EntryKind.SURRENDER,
            time=time,
            postings=_move(
                source=account,
                target=system_account(registry, AccountType.RETIREMENT),
                asset=unit_class,
                qty=qty,
            ),
            counters=tuple(CounterChange(usage, cap.field, qty, cap.cap, cap.code) for cap in caps),
            amounts=(qty,),
            meta={"period": period},
        )

    return Plan((redis_keys.registry_key(registry), redis_keys.compliance_key(account)), build)


def reserve_for_order(
    *,
    order_id: str,
    account: str,
    asset: str,
    amount: int,
    time: int,
    limit_price: int | None = None,
    quantity: int | None = None,
) -> Entry:
    """Reserve what an order needs (available → reserved) and open its reservation record.

    A buy passes its ``limit_price`` and ``quantity`` (the band limit for a market buy): settlement computes
    each fill's portion of the reservation from them (see ``shared.fees``).
    """
    fields = {"account": account, "asset": asset, "remaining": str(amount), "reserved": str(amount)}
    if limit_price is not None:
        fields["limit_price"] = str(limit_price)
    if quantity is not None:
        fields["quantity"] = str(quantity)
    return Entry(
        entry_id=f"reserve:{order_id}",
        kind=EntryKind.RESERVE,
        time=time,
        postings=(Posting(account, asset, A, -amount), Posting(account, asset, R, amount)),
        records=(CreateRecord(redis_keys.reservation_key(order_id), fields),),
        amounts=(amount,),
        meta={"order_id": order_id},
    )


def release_order(*, order_id: str, time: int) -> Plan:
    """Release whatever remains of an order's reservation; a no-op when nothing remains."""
    key = redis_keys.reservation_key(order_id)

    def build(read: Sequence[Mapping[str, str]]) -> Entry:
        return Entry(
            entry_id=f"release:{order_id}",
            kind=EntryKind.RELEASE,
            time=time,
            records=(DrainRecord(key, read[0].get("account"), missing_ok=True),),
            meta={"order_id": order_id},
        )

    return Plan((key,), build)


def rebase_order(
    *,
    event_id: str,
    order_id: str,
    account: str,
    asset: str,
    buy: bool,
    open_qty: int,
    limit_price: int | None,
    fees: FeeSchedule,
    time: int,
) -> Plan:
    """On an order's amend (event ``event_id``), entry ``rebase:{event_id}``: from then on its reservation record
    describes a fresh order of ``open_qty`` (``quantity``) at the new limit (``limit_price``; None keeps the
    record's), so settlement's ``filled_before = quantity − leaves − qty`` counts fills since the amend.

    What the record holds above the rebased order's need (buy: ``buy_reservation`` at the new limit; sell: one
    unit per open tonne) is released. A record holding less keeps what it has; the entry's meta flags the
    ``shortfall``. A record already gone (the order ended) makes the entry a no-op.
    """
    key = redis_keys.reservation_key(order_id)
    entry_id = f"rebase:{event_id}"
    expect = {"account": account, "asset": asset}

    def build(read: Sequence[Mapping[str, str]]) -> Entry:
        record = read[0]
        meta: dict[str, object] = {"order_id": order_id, "rebase": event_id, "open_qty": open_qty}
        if not record:
            return Entry(entry_id=entry_id, kind=EntryKind.RELEASE, time=time, meta={**meta, "missing": True})
        fields = {"quantity": str(open_qty)}
        try:
            needed = open_qty
            if buy:
                limit = int(record["limit_price"]) if limit_price is None else limit_price
                needed = buy_reservation(fees, limit_price=limit, quantity=open_qty)
                fields["limit_price"] = str(limit)
            trued = true_up(held=int(record.get("remaining", "")), needed=needed)
        except (KeyError, ValueError) as exc:
            return _refused(entry_id, EntryKind.RELEASE, time, key, reason=str(exc))
        records: tuple[RecordOp, ...] = (SetRecord(key, fields, expect=expect),)
        postings: tuple[Posting, ...] = ()
        if trued.released:
            records += (AdjustRecord(key, "remaining", -trued.released, expect=expect),)
            postings = (Posting(account, asset, R, -trued.released), Posting(account, asset, A, trued.released))
        meta.update(needed=needed, released=trued.released)
        if trued.shortfall:
            meta["shortfall"] = trued.shortfall
        return Entry(entry_id=entry_id, kind=EntryKind.RELEASE, time=time, postings=postings, records=records,
                     amounts=(open_qty,), meta=meta)

    return Plan((key,), build)


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

    def build(read: Sequence[Mapping[str, str]]) -> Entry:
        buy, _ = read
        if not _positive(trade.qty, price):
            return Entry(entry_id=entry_id, kind=EntryKind.SETTLE, time=time, amounts=(trade.qty, price))
        try:
            fill = fill_cash(
                fees,
                limit_price=int(buy["limit_price"]),
                order_qty=int(buy["quantity"]),
                filled_before=int(buy["quantity"]) - trade.buy_leaves - trade.qty,
                qty=trade.qty,
                price=price,
                buyer_is_maker=buyer_is_maker,
            )
        except (KeyError, ValueError) as exc:
            return _refused(entry_id, EntryKind.SETTLE, time, keys[0], reason=str(exc))
        fees_account = system_account(registry, AccountType.FEES)
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

    return Plan(keys, build)


def hold_for_bridge(*, trade: TradeSides, fees: FeeSchedule, time: int) -> Plan:
    """Move a cross-registry fill's part of both order reservations into trade holds, ``hold:{trade_id}``.

    The buyer's hold is the fill's whole reservation portion; the hold record keeps the limit price and the
    quantity so the bridge can split it with ``shared.cash_legs.split_buyer_portion``. Balances stay reserved.
    """
    keys = (redis_keys.reservation_key(trade.buy_order_id), redis_keys.reservation_key(trade.sell_order_id))
    entry_id = f"hold:{trade.trade_id}"

    def build(read: Sequence[Mapping[str, str]]) -> Entry:
        buy, _ = read
        if not _positive(trade.qty):
            return Entry(entry_id=entry_id, kind=EntryKind.HOLD, time=time, amounts=(trade.qty,))
        try:
            limit_price = int(buy["limit_price"])
            portion = fill_portion(
                fees,
                limit_price=limit_price,
                order_qty=int(buy["quantity"]),
                filled_before=int(buy["quantity"]) - trade.buy_leaves - trade.qty,
                qty=trade.qty,
            )
        except (KeyError, ValueError) as exc:
            return _refused(entry_id, EntryKind.HOLD, time, keys[0], reason=str(exc))
        holds = (
            CreateRecord(
                redis_keys.hold_key(trade.trade_id, BUY),
                {
                    "account": trade.buyer_account,
                    "asset": currency_asset(trade.currency),
                    "remaining": str(portion),
                    "limit_price": str(limit_price),
                    "qty": str(trade.qty),
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
            records=_consume_orders(trade, keys, buy_portion=portion) + holds,
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


def _refused(entry_id: str, kind: EntryKind, time: int, key: str, *, reason: str) -> Entry:
    """An entry the script refuses with RESERVATION_MISMATCH: the order's record cannot carry this fill."""
    return Entry(
        entry_id=entry_id,
        kind=kind,
        time=time,
        records=(AdjustRecord(key, "remaining", -1, expect={"fill_fits_order": "yes"}),),
        meta={"reason": reason},
    )


def _positive(*values: object) -> bool:
    return all(type(v) is int and v > 0 for v in values)


def _require_registry(registry: str, account: str) -> None:
    if registry_of(account) != registry:
        raise ValueError(f"{account} is not an account of {registry}")


def _fraction(text: str | None) -> Fraction | None:
    return None if text in (None, "") else Fraction(text)
