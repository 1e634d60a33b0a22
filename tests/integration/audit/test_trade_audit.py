"""The trade checks of the audit: what counts as settled, failed, pending too long, or settled twice."""

from __future__ import annotations

import pytest
import redis

from carbonlink.audit.trades import run_audit
from services.settlement.trade_state import PENDING_TRADES, trade_key
from shared.ledger import Entry, EntryKind, Ledger, Posting
from tests.integration.settlement.books import Books, open_registries

pytestmark = pytest.mark.integration


def now_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


def problems(client: redis.Redis, check: str, **kwargs) -> list[dict]:
    report = run_audit(client, pending_timeout_s=60, **kwargs)
    return next(c for c in report.checks if c.name == check).problems


@pytest.fixture
def books(redis_client: redis.Redis) -> Books:
    ledger = Ledger(redis_client)
    open_registries(ledger)
    return Books(ledger)


def test_a_trade_failed_without_a_reason_code_fails_the_audit(redis_client, books) -> None:
    redis_client.hset(trade_key("X:T1"), mapping={"status": "FAILED", "reason_code": "7151", "reason": "CAP"})
    redis_client.hset(trade_key("X:T2"), mapping={"status": "FAILED", "reason": ""})

    assert [p["trade_id"] for p in problems(redis_client, "trade_status")] == ["X:T2"]


def test_a_trade_pending_longer_than_the_timeout_fails_the_audit(redis_client, books) -> None:
    now = now_ms(redis_client)
    for trade_id, since in (("X:T1", now - 1_000), ("X:T2", now - 61_000)):
        redis_client.hset(trade_key(trade_id), mapping={"status": "PENDING_BRIDGE", "pending_since": since})
        redis_client.zadd(PENDING_TRADES, {trade_id: since})

    found = problems(redis_client, "trade_status")

    assert [(p["trade_id"], p["problem"]) for p in found] == [("X:T2", "pending too long")]


def test_a_trade_settled_by_two_entries_fails_the_audit(redis_client, books) -> None:
    for n in (1, 2):
        entry = Entry(entry_id=f"settle-{n}:X:T1", kind=EntryKind.SETTLE, time=1, amounts=(1,),
                      postings=(Posting(books.buyer, "C:CNY", "a", -1), Posting(books.seller, "C:CNY", "a", 1)),
                      meta={"trade_id": "X:T1"})
        assert books.ledger.post(entry).ok
    redis_client.hset(trade_key("X:T1"), mapping={"status": "SETTLED", "route": "DOMESTIC", "settled_count": "1"})

    found = problems(redis_client, "settled_once")

    assert [(p["trade_id"], p["problem"]) for p in found] == [("X:T1", "settled twice")]


def test_a_settled_trade_without_its_ledger_entry_fails_the_audit(redis_client, books) -> None:
    redis_client.hset(trade_key("X:T1"), mapping={"status": "SETTLED", "route": "DOMESTIC", "settled_count": "1"})

    assert [p["problem"] for p in problems(redis_client, "settled_once")] == ["recorded settled without a settling entry"]


def test_the_bridge_reconciliation_plugs_into_the_audit(redis_client, books) -> None:
    from carbonlink.audit.ledger import CheckResult

    report = run_audit(redis_client, pending_timeout_s=60,
                       bridge_checks=[lambda client, snap: CheckResult("bridge_reconciliation", False)])

    assert not report.ok and report.checks[-1].name == "bridge_reconciliation"
