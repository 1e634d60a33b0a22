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


#: From what a plan read: its entry's id and ``post.lua``'s KEYS and ARGV[1], as ``shared.ledger.encoding.encode``
#: of the built entry gives them.
Encoded = Callable[[Sequence[Mapping[str, str]]], tuple[str, list[str], bytes]]


@dataclass(frozen=True, slots=True)
class Plan:
    """Read these hashes (HGETALL, decoded to str), then build the entry from them, in order.

    ``encoded``, when a builder gives one, makes the same ``post.lua`` arguments straight from what was read, without
    the entry's objects (a hot path's shortcut; ``build`` stays the reference, and a test holds both equal)."""

    reads: tuple[str, ...]
    build: Callable[[Sequence[Mapping[str, str]]], Entry]
    encoded: Encoded | None = None


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
