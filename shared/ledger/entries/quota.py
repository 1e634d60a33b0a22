"""Builders of a cross-border order's quota reservation, beside its cash: what the accepting entry reserves,
what a fill moves into its trade's hold, and what an amend adds or its rebase gives back (amounts from the pure
rules of ``shared.quota``, counters of ``shared.read_models.linkage``).

The reservation record of the order (and then the buy hold of each of its trades) carries the quota it holds:
``counter_key`` (the period's quota hash), ``counter_fields`` (the reserved counters, newline-separated),
``counter_held`` and ``quota_factor``. The ledger subtracts ``counter_held`` from those counters whenever an
entry deletes the record (see ``post.lua``): a release on cancel, expiry or refusal, or the bridge's delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from shared.ledger.model import AdjustRecord, CounterChange, RecordOp
from shared.quota import QuotaTerms, fill_share, limits, reserved_units
from shared.read_models import linkage

HELD = "counter_held"


@dataclass(frozen=True, slots=True)
class QuotaCounter:
    """A reserved counter, capped together with its delivered counter (``cap`` None: counted only)."""

    reserved: str
    delivered: str
    cap: int | None
    code: str


@dataclass(frozen=True, slots=True)
class QuotaReservation:
    """The quota an order reserves: ``amount`` units on every counter of the period's hash ``key``."""

    key: str
    factor: Fraction
    amount: int
    counters: tuple[QuotaCounter, ...]


def quota_reservation(*, terms: QuotaTerms, link_id: str, from_registry: str, to_registry: str, account: str,
                      period: int, quantity: int, obligation: int) -> QuotaReservation:
    """What a buy of ``quantity`` by ``account`` across from → to reserves in ``period``."""
    counters = []
    for limit in limits(terms, obligation=obligation):
        delivered = linkage.cap_field(limit.kind, link_id, from_registry, to_registry, account)
        counters.append(QuotaCounter(linkage.reserved_field(delivered), delivered, limit.cap, str(int(limit.code))))
    return QuotaReservation(key=linkage.quota_key(period), factor=terms.factor,
                            amount=reserved_units(quantity, terms), counters=tuple(counters))


def record_fields(quota: QuotaReservation) -> dict[str, str]:
    """The fields a reservation record carries for its quota."""
    return {"counter_key": quota.key, "counter_fields": "\n".join(c.reserved for c in quota.counters),
            HELD: str(quota.amount), "quota_factor": str(quota.factor)}


def reserve(quota: QuotaReservation, amount: int) -> tuple[CounterChange, ...]:
    """Raise every reserved counter by ``amount``, each refused with the bridge's code past its cap."""
    if amount <= 0:
        return ()
    return tuple(CounterChange(quota.key, c.reserved, amount, c.cap, c.code, cap_with=(c.delivered,))
                 for c in quota.counters)


def holds_quota(record: Mapping[str, str]) -> bool:
    return bool(record.get("counter_key")) and "quota_factor" in record


def fill_to_hold(record: Mapping[str, str], *, key: str, expect: Mapping[str, str], filled_before: int,
                 qty: int) -> tuple[tuple[RecordOp, ...], dict[str, str]]:
    """A fill's share of its order's quota: the record op taking it from the order's record ``key`` and the
    fields its trade's buy hold gets (nothing when the order holds no quota)."""
    if not holds_quota(record):
        return (), {}
    share = fill_share(QuotaTerms(Fraction(record["quota_factor"])), filled_before=filled_before, qty=qty)
    # An amend raised on a stale view of the order's fills can leave it holding less than its rebased need: the
    # fill then takes what is left, and the bridge's re-check (which counts others' reservations) decides.
    share = min(share, int(record.get(HELD) or 0))
    if share <= 0:
        return (), {}
    take = AdjustRecord(key, HELD, -share, expect=dict(expect))
    fields = {"counter_key": record["counter_key"], "counter_fields": record.get("counter_fields", ""),
              HELD: str(share), "quota_factor": record["quota_factor"]}
    return (take,), fields


def rebase_excess(record: Mapping[str, str], *, key: str, expect: Mapping[str, str],
                  open_qty: int) -> tuple[tuple[RecordOp, ...], tuple[CounterChange, ...], int]:
    """An amended order's quota rebased to a fresh order of ``open_qty``: what it holds above that need is
    released (record op, counter changes, units); a record holding less keeps what it has."""
    if not holds_quota(record):
        return (), (), 0
    needed = reserved_units(open_qty, QuotaTerms(Fraction(record["quota_factor"])))
    excess = int(record.get(HELD) or 0) - needed
    if excess <= 0:
        return (), (), 0
    fields = [f for f in record.get("counter_fields", "").split("\n") if f]
    return ((AdjustRecord(key, HELD, -excess, expect=dict(expect)),),
            tuple(CounterChange(record["counter_key"], f, -excess) for f in fields), excess)
