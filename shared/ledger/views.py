"""Decoding what the ledger stores into Python values: balances, journal records, records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from shared import redis_keys
from shared.ledger.model import Posting
from shared.redis_text import text, text_map  # noqa: F401  (re-exported for the ledger's readers)


def balances(raw: Mapping[bytes | str, bytes | str]) -> dict[str, tuple[int, int]]:
    """A balance hash → {asset: (available, reserved)}, leaving out assets at (0, 0)."""
    out: dict[str, list[int]] = {}
    for field, value in raw.items():
        asset, bucket = redis_keys.split_balance_field(text(field))
        out.setdefault(asset, [0, 0])[0 if bucket == redis_keys.AVAILABLE else 1] += int(value)
    return {asset: (a, r) for asset, (a, r) in sorted(out.items()) if a or r}


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One entry as a registry's journal holds it: only the postings of that registry's accounts."""

    stream_id: str
    entry_id: str
    kind: str
    time: int
    postings: tuple[Posting, ...]
    meta: Mapping[str, object]


def journal_record(stream_id: bytes | str, fields: Mapping[bytes | str, bytes | str]) -> JournalRecord:
    f = text_map(fields)
    return JournalRecord(
        stream_id=text(stream_id),
        entry_id=f["entry_id"],
        kind=f["kind"],
        time=int(f["time"]),
        postings=tuple(Posting(a, asset, b, int(d)) for a, asset, b, d in orjson.loads(f["postings"])),
        meta=orjson.loads(f["meta"]),
    )
