"""A cross-border buy's quota reservation in the ledger: reserved with its cash in one entry (refused with the
bridge's code past a cap counting the delivered counter too), moved fill by fill into the trades' holds, and
given back by whichever entry deletes a record holding it — a release on cancel or refusal, or a delivery."""

from __future__ import annotations

from fractions import Fraction

import pytest
import redis

from carbonlink.audit.ledger import audit_ledger
from shared import redis_keys
from shared.fees import buy_reservation
from shared.ledger import Code, CounterChange, Entry, EntryKind, Ledger, entries
from shared.ledger.entries.quota import QuotaReservation, quota_reservation
from shared.quota import QuotaTerms
from shared.read_models import linkage
from tests.integration.ledger.books import BUYER, CNY, FEES, SELLER, BJ_UNIT, trade

pytestmark = pytest.mark.integration

PERIOD = 2025
CAP = 100
LINK = linkage.link_field("BJ-KR", "CN-BJ", "KR")
RESERVED = linkage.reserved_field(LINK)
QUOTA = linkage.quota_key(PERIOD)


def quota_for(qty: int, *, cap: int = CAP, factor: Fraction = Fraction(1)) -> QuotaReservation:
    return quota_reservation(terms=QuotaTerms(factor=factor, period_cap=cap), link_id="BJ-KR", from_registry="CN-BJ",
                             to_registry="KR", account=BUYER, period=PERIOD, quantity=qty, obligation=0)


def reserve_buy(ledger: Ledger, order_id: str, qty: int, **quota: object) -> object:
    return ledger.reserve_for_order(order_id=order_id, account=BUYER, asset=CNY, time=2, limit_price=5_000,
                                    amount=buy_reservation(FEES, limit_price=5_000, quantity=qty), quantity=qty,
                                    quota=quota_for(qty, **quota))  # type: ignore[arg-type]


def counters(client: redis.Redis) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in client.hgetall(QUOTA).items()}


def test_a_buy_reserves_its_quota_with_its_cash_and_one_past_the_cap_is_refused_with_the_bridges_code(
        funded: Ledger, redis_client: redis.Redis) -> None:
    redis_client.hset(QUOTA, LINK, 30)

    assert reserve_buy(funded, "b1", 50).ok
    refused = reserve_buy(funded, "b2", 30)

    assert (refused.ok, refused.code, refused.details["used"]) == (False, "7151", "80")
    assert counters(redis_client) == {LINK: 30, RESERVED: 50}
    assert not redis_client.exists(redis_keys.reservation_key("b2"))
    assert funded.balances(BUYER)[CNY][1] == buy_reservation(FEES, limit_price=5_000, quantity=50)


def test_a_release_deletes_the_record_and_gives_its_quota_back(funded: Ledger, redis_client: redis.Redis) -> None:
    assert reserve_buy(funded, "b1", 60).ok

    assert funded.run(entries.release_order(order_id="b1", time=3)).ok

    assert counters(redis_client) == {RESERVED: 0}
    assert funded.balances(BUYER)[CNY] == (10_000_000, 0)


def test_each_fill_moves_its_share_into_the_trades_hold_and_a_refusal_gives_it_back(
        funded: Ledger, redis_client: redis.Redis) -> None:
    assert reserve_buy(funded, "b1", 100, cap=200, factor=Fraction(3, 2)).ok  # 150 gross units reserved
    assert funded.reserve_for_order(order_id="s1", account=SELLER, asset=BJ_UNIT, amount=100, quantity=100,
                                    time=2).ok

    first = trade(trade_id="T1", qty=33, buy_leaves=67, sell_leaves=67)
    second = trade(trade_id="T2", qty=33, buy_leaves=34, sell_leaves=34)
    assert funded.run(entries.hold_for_bridge(trade=first, fees=FEES, time=3)).ok
    assert funded.run(entries.hold_for_bridge(trade=second, fees=FEES, time=3)).ok

    held = {key: redis_client.hget(key, "counter_held") for key in (
        redis_keys.hold_key("T1", "buy"), redis_keys.hold_key("T2", "buy"), redis_keys.reservation_key("b1"))}
    assert held == {redis_keys.hold_key("T1", "buy"): b"49", redis_keys.hold_key("T2", "buy"): b"50",
                    redis_keys.reservation_key("b1"): b"51"}  # floor(33 x 1.5), floor(66 x 1.5) - 49, the rest
    assert counters(redis_client) == {RESERVED: 150}

    assert funded.run(entries.release_holds(trade_id="T1", time=4)).ok
    assert funded.run(entries.release_order(order_id="b1", time=4)).ok
    assert counters(redis_client) == {RESERVED: 50}


def test_a_delivery_counted_with_a_cap_sees_the_quota_others_reserved(funded: Ledger,
                                                                         redis_client: redis.Redis) -> None:
    assert reserve_buy(funded, "b1", 70).ok

    def deliver(entry_id: str, qty: int) -> Entry:
        return Entry(entry_id=entry_id, kind=EntryKind.TRANSFER, time=3,
                     counters=(CounterChange(QUOTA, LINK, qty, CAP, "7151", cap_with=(RESERVED,)),))

    assert funded.post(deliver("d1", 30)).ok
    refused = funded.post(deliver("d2", 1))
    assert (refused.code, refused.details["used"]) == ("7151", "100")
    assert counters(redis_client) == {LINK: 30, RESERVED: 70}


def test_a_cap_without_reservations_beside_it_is_refused_as_before(funded: Ledger) -> None:
    result = funded.post(Entry(entry_id="q", kind=EntryKind.TRANSFER, time=1,
                               counters=(CounterChange(QUOTA, LINK, CAP + 1, CAP),)))
    assert result.code == Code.CAP_EXCEEDED


def test_the_audit_proves_reserved_counters_equal_what_live_records_hold(funded: Ledger,
                                                                          redis_client: redis.Redis) -> None:
    assert reserve_buy(funded, "b1", 60).ok
    [check] = [c for c in audit_ledger(redis_client).checks if c.name == "quota_reservations"]
    assert check.ok and check.summary == {"reserved_counters": 1, "held_units": 60}

    redis_client.hincrby(QUOTA, RESERVED, 5)  # quota reserved that no order holds
    [check] = [c for c in audit_ledger(redis_client).checks if c.name == "quota_reservations"]
    assert not check.ok and check.problems == [{"counter": QUOTA, "field": RESERVED, "value": 65,
                                                "held_by_records": 60}]
