"""The trade audit and the bridge's settlement windows: a trade the bridge parked until its link's window is
waiting, not late — until the pending timeout has passed since that window opened."""

from __future__ import annotations

import pytest
import redis

from services.bridge.bridge_keys import PENDING as BRIDGE_DEFERRED
from carbonlink.audit.trades import run_audit
from services.settlement.trade_state import PENDING_BRIDGE, PENDING_TRADES, trade_key

pytestmark = pytest.mark.integration

HOUR_MS = 3_600_000


def now_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


def pending_since(client: redis.Redis, trade_id: str, since: int) -> None:
    client.hset(trade_key(trade_id), mapping={"status": PENDING_BRIDGE, "pending_since": since})
    client.zadd(PENDING_TRADES, {trade_id: since})


def trade_status(client: redis.Redis):
    return next(c for c in run_audit(client, pending_timeout_s=60).checks if c.name == "trade_status")


def test_a_trade_parked_until_its_settlement_window_is_reported_as_waiting_not_as_a_failure(redis_client) -> None:
    now = now_ms(redis_client)
    pending_since(redis_client, "X:T1", now - 2 * HOUR_MS)
    redis_client.zadd(BRIDGE_DEFERRED, {"X:T1": now + 24 * HOUR_MS})

    check = trade_status(redis_client)

    assert check.ok, check.problems
    assert check.summary["awaiting_settlement_window"] == 1 and check.summary["pending_bridge"] == 1


def test_a_parked_trade_still_waiting_long_after_its_window_opened_fails_the_audit(redis_client) -> None:
    now = now_ms(redis_client)
    pending_since(redis_client, "X:T1", now - 2 * HOUR_MS)
    redis_client.zadd(BRIDGE_DEFERRED, {"X:T1": now - 61_000})

    check = trade_status(redis_client)

    assert [(p["trade_id"], p["problem"]) for p in check.problems] == [("X:T1", "deferred past its settlement window")]


def test_a_trade_pending_too_long_without_being_parked_still_fails_the_audit(redis_client) -> None:
    now = now_ms(redis_client)
    pending_since(redis_client, "X:T1", now - 2 * HOUR_MS)
    pending_since(redis_client, "X:T2", now - 2 * HOUR_MS)
    redis_client.zadd(BRIDGE_DEFERRED, {"X:T2": now + HOUR_MS})

    check = trade_status(redis_client)

    assert [(p["trade_id"], p["problem"]) for p in check.problems] == [("X:T1", "pending too long")]
    assert check.summary["awaiting_settlement_window"] == 1
