"""What every ledger-entry builder shares: the ``Plan`` of an entry that needs records read first, the balance
buckets, a plain movement between two accounts, and the entry a script refuses when a fill does not fit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from shared import redis_keys
from shared.ledger.model import AdjustRecord, Entry, EntryKind, Posting

A = redis_keys.AVAILABLE
R = redis_keys.RESERVED
BUY = "buy"
SELL = "sell"


@dataclass(frozen=True, slots=True)
class Plan:
    """Read these hashes (HGETALL, decoded to str), then build the entry from them, in order."""

    reads: tuple[str, ...]
    build: Callable[[Sequence[Mapping[str, str]]], Entry]


def move(*, source: str, target: str, asset: str, qty: int) -> tuple[Posting, Posting]:
    """Available ``asset`` from ``source`` to ``target``: the two postings of a plain movement."""
    return Posting(source, asset, A, -qty), Posting(target, asset, A, qty)


def refused(entry_id: str, kind: EntryKind, time: int, key: str, *, reason: str) -> Entry:
    """An entry the script refuses with RESERVATION_MISMATCH: the order's record cannot carry this fill."""
    return Entry(
        entry_id=entry_id,
        kind=kind,
        time=time,
        records=(AdjustRecord(key, "remaining", -1, expect={"fill_fits_order": "yes"}),),
        meta={"reason": reason},
    )


def positive(*values: object) -> bool:
    """Every value a positive int (a fill with a zero or odd quantity or price is recorded, not applied)."""
    return all(type(v) is int and v > 0 for v in values)
