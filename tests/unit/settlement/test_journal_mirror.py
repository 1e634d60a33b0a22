"""The journal mirror's envelope: a journal record published on `registry.transfers` as a `LedgerEntryRecorded`."""

from __future__ import annotations

import orjson
import pytest

from services.settlement.journal_mirror import _envelope
from shared.envelope import decode
from shared.messages import payload_of
from shared.messages.post_trade import LedgerEntryRecorded

POSTINGS = [["CN-BJ/buyer", "C:CNY", "r", "-200100"], ["CN-BJ/seller", "U:CN-BJ:ALLOWANCE:2025", "r", "-40"]]
META = {"trade_id": "CEA-BJ:T7", "price": 5_000, "qty": 40}


def record(**overrides: bytes) -> dict[bytes, bytes]:
    return {b"entry_id": b"settle:CEA-BJ:T7", b"kind": b"SETTLE", b"time": b"1700000000000",
            b"postings": orjson.dumps(POSTINGS), b"meta": orjson.dumps(META), **overrides}


def test_a_journal_record_is_published_as_the_entry_it_records() -> None:
    envelope = decode(_envelope("CN-BJ", b"1700000000000-3", record()))
    event = payload_of(envelope)

    assert isinstance(event, LedgerEntryRecorded)
    assert (envelope.event_id, envelope.occurred_at, envelope.correlation_id) == (
        "journal:CN-BJ:1700000000000-3", 1_700_000_000_000, "settle:CEA-BJ:T7")
    assert (event.registry, event.stream_id, event.entry_id, event.kind, event.time) == (
        "CN-BJ", "1700000000000-3", "settle:CEA-BJ:T7", "SETTLE", 1_700_000_000_000)
    assert event.postings == [("CN-BJ/buyer", "C:CNY", "r", -200_100),
                              ("CN-BJ/seller", "U:CN-BJ:ALLOWANCE:2025", "r", -40)]
    assert event.meta == META


def test_a_journal_record_without_postings_or_meta_as_json_is_not_published() -> None:
    with pytest.raises(ValueError):
        _envelope("CN-BJ", b"1-0", record(postings=b"not json"))
    with pytest.raises(KeyError):
        _envelope("CN-BJ", b"1-0", {b"entry_id": b"x", b"kind": b"SETTLE", b"time": b"1"})
