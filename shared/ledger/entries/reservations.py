"""Builders of an order's reservation: set aside what it needs, release what remains when it ends, and rebase the
record when an amend changes the order (the amounts come from ``shared.fees``; a cross-border buy's quota from
``shared.ledger.entries.quota``: a release deletes the record, which releases its quota with it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared import redis_keys
from shared.fees import FeeSchedule, buy_reservation, true_up
from shared.ledger.entries.plan import A, R, Plan, refused
from shared.ledger.entries.quota import QuotaReservation, rebase_excess, record_fields, reserve
from shared.ledger.model import (
    AdjustRecord,
    CreateRecord,
    DrainRecord,
    Entry,
    EntryKind,
    Posting,
    RecordOp,
    SetRecord,
)


def reserve_for_order(
    *,
    order_id: str,
    account: str,
    asset: str,
    amount: int,
    time: int,
    limit_price: int | None = None,
    quantity: int | None = None,
    quota: QuotaReservation | None = None,
) -> Entry:
    """Reserve what an order needs (available → reserved) and open its reservation record.

    A buy passes its ``limit_price`` and ``quantity`` (the band limit for a market buy): settlement computes
    each fill's portion of the reservation from them (see ``shared.fees``). A buy across a link also reserves
    its ``quota`` in the same entry (refused with the bridge's code when a cap cannot carry it).
    """
    fields = {"account": account, "asset": asset, "remaining": str(amount), "reserved": str(amount)}
    if limit_price is not None:
        fields["limit_price"] = str(limit_price)
    if quantity is not None:
        fields["quantity"] = str(quantity)
    if quota is not None:
        fields.update(record_fields(quota))
    return Entry(
        entry_id=f"reserve:{order_id}",
        kind=EntryKind.RESERVE,
        time=time,
        postings=(Posting(account, asset, A, -amount), Posting(account, asset, R, amount)),
        records=(CreateRecord(redis_keys.reservation_key(order_id), fields),),
        counters=() if quota is None else reserve(quota, quota.amount),
        amounts=(amount,),
        meta={"order_id": order_id} if quota is None else {"order_id": order_id, "quota": quota.amount},
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
            return refused(entry_id, EntryKind.RELEASE, time, key, reason=str(exc))
        records: tuple[RecordOp, ...] = (SetRecord(key, fields, expect=expect),)
        postings: tuple[Posting, ...] = ()
        if trued.released:
            records += (AdjustRecord(key, "remaining", -trued.released, expect=expect),)
            postings = (Posting(account, asset, R, -trued.released), Posting(account, asset, A, trued.released))
        quota_ops, quota_changes, quota_released = rebase_excess(record, key=key, expect=expect, open_qty=open_qty)
        meta.update(needed=needed, released=trued.released)
        if quota_released:
            meta["quota_released"] = quota_released
        if trued.shortfall:
            meta["shortfall"] = trued.shortfall
        return Entry(entry_id=entry_id, kind=EntryKind.RELEASE, time=time, postings=postings,
                     records=records + quota_ops, counters=quota_changes, amounts=(open_qty,), meta=meta)

    return Plan((key,), build)
