"""`carbonlink audit` sees state stranded between services: an order left PENDING_NEW past its bound, a
reservation no live order holds, and a trade matching executed that settlement never settled nor refused."""

from __future__ import annotations

import orjson
import pytest
import redis

from carbonlink.audit.stranded import stranded_checks
from carbonlink.audit.ledger import CheckResult, audit_ledger
from shared import market_keys as mk
from shared.ledger import AccountType, Ledger

pytestmark = pytest.mark.integration

UNIT = "U:CN-BJ:ALLOWANCE:2025"
SELLER = "CN-BJ/seller"


def now_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return int(seconds) * 1000 + int(micros) // 1000


def audit(client: redis.Redis) -> dict[str, CheckResult]:
    checks = stranded_checks(client=client, pending_new_timeout_s=5, settlement_window_s=20, confirm_after_s=0)
    return {check.name: check for check in audit_ledger(client, extra_checks=checks).checks}


def order(client: redis.Redis, order_id: str, *, status: str, age_ms: int = 0, filled: int = 0,
          instrument: str = "BJA") -> None:
    client.hset(mk.order_state(order_id), mapping={
        "order_id": order_id, "status": status, "created_at": now_ms(client) - age_ms, "filled": filled,
        "instrument": instrument, "account": SELLER, "side": "SELL", "quantity": 100})


def reserve(client: redis.Redis, order_id: str) -> None:
    ledger = Ledger(client)
    if not client.exists("{L}:reg:CN-BJ"):
        ledger.open_registry("CN-BJ", currency="CNY")
        ledger.open_account(SELLER, account_type=AccountType.HOLDING, holder=SELLER)
        assert ledger.issue(entry_id="units", registry="CN-BJ", unit_class=UNIT, qty=1_000, to_account=SELLER,
                            time=1).ok
    assert ledger.reserve_for_order(order_id=order_id, account=SELLER, asset=UNIT, amount=100, quantity=100,
                                    time=2).ok


def matched(client: redis.Redis, instrument: str, seq: int, *, age_ms: int) -> None:
    at = now_ms(client) - age_ms
    trade_id = f"{instrument}:T{seq}"
    client.hset(mk.last_trade(instrument), mapping={"trade_id": trade_id, "at": at, "price": 5000, "quantity": 10})
    client.lpush(mk.recent_trades(instrument), orjson.dumps({"trade_id": trade_id, "quantity": 10, "at": at}))


def settled(client: redis.Redis, trade_id: str, *, buy: str = "b", sell: str = "s", quantity: int = 10) -> None:
    client.hset(f"trade:{trade_id}", mapping={"status": "SETTLED", "settled_count": 1, "buy_order_id": buy,
                                              "sell_order_id": sell, "quantity": quantity})


def test_an_order_pending_new_past_its_bound_fails_the_audit_and_a_fresh_one_does_not(redis_client) -> None:
    order(redis_client, "O-young", status=mk.PENDING_NEW, age_ms=1_000)
    assert audit(redis_client)["pending_new"].ok

    order(redis_client, "O-stranded", status=mk.PENDING_NEW, age_ms=6_000)
    result = audit(redis_client)["pending_new"]

    assert not result.ok
    assert [p["order_id"] for p in result.problems] == ["O-stranded"]
    assert result.summary["pending_new"] == 2


def test_a_reservation_no_live_order_holds_fails_the_audit(redis_client) -> None:
    reserve(redis_client, "O-resting")
    order(redis_client, "O-resting", status=mk.NEW)
    reserve(redis_client, "O-pending")
    order(redis_client, "O-pending", status=mk.PENDING_NEW)
    assert audit(redis_client)["live_reservations"].ok

    reserve(redis_client, "O-cancelled")
    order(redis_client, "O-cancelled", status=mk.CANCELLED)
    reserve(redis_client, "O-unknown")
    result = audit(redis_client)["live_reservations"]

    assert not result.ok
    assert {(p["reservation"], p["order_status"]) for p in result.problems} == {
        ("{L}:resv:O-cancelled", mk.CANCELLED), ("{L}:resv:O-unknown", "no such order")}


def test_a_trade_matched_but_never_settled_fails_the_audit_once_its_window_has_passed(redis_client) -> None:
    matched(redis_client, "BJA", 1, age_ms=60_000)
    settled(redis_client, "BJA:T1")
    matched(redis_client, "BJA", 2, age_ms=1_000)
    young = audit(redis_client)["trades_recorded"]
    assert young.ok and young.summary["awaiting_settlement"] == 1

    redis_client.delete(mk.recent_trades("BJA"))  # T2 has dropped out of the recent trades: older than any there
    matched(redis_client, "BJA", 3, age_ms=30_000)
    result = audit(redis_client)["trades_recorded"]

    assert not result.ok
    assert {p["trade_id"] for p in result.problems} == {"BJA:T2", "BJA:T3"}


def test_once_an_instrument_is_quiet_every_fill_has_its_trade_state(redis_client) -> None:
    matched(redis_client, "BJA", 1, age_ms=60_000)
    settled(redis_client, "BJA:T1", buy="O-b", sell="O-s", quantity=10)
    order(redis_client, "O-b", status=mk.FILLED, filled=10)
    order(redis_client, "O-s", status=mk.PARTIALLY_FILLED, filled=10)
    assert audit(redis_client)["trades_recorded"].ok

    order(redis_client, "O-s", status=mk.FILLED, filled=20)  # a second fill whose trade id was reused
    result = audit(redis_client)["trades_recorded"]

    assert not result.ok
    assert result.problems == [{"order_id": "O-s", "problem": "filled quantity differs from its trades' states",
                                "filled": 20, "in_trade_states": 10}]
