"""Bad entries are refused with a stable code and change nothing but the stored refusal of their entry id."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis

from shared.fees import FeeSchedule
from shared import redis_keys
from shared.ledger import (
    AccountType,
    AdjustRecord,
    Code,
    CounterChange,
    CreateRecord,
    Entry,
    EntryKind,
    Ledger,
    LimitCheck,
    Posting,
    PostResult,
)
from tests.integration.ledger.books import BJ_OFFSET, BJ_UNIT, BUYER, CNY, FEES, SELLER, place_orders, trade

pytestmark = pytest.mark.integration

SH_OFFSET = "U:CN-SH:OFFSET:2024"


def state(client: redis.Redis) -> dict[bytes, object]:
    """Every ledger key but the idempotency records, with its content."""
    out: dict[bytes, object] = {}
    for key in client.scan_iter(match=redis_keys.TAG + "*"):
        if key.startswith(redis_keys.entry_key("").encode()):
            continue
        kind = client.type(key)
        out[key] = {
            b"hash": client.hgetall,
            b"set": client.smembers,
            b"stream": lambda k: client.xrange(k),
            b"string": client.get,
        }[kind](key)
    return out


def refused(client: redis.Redis, act: Callable[[], PostResult]) -> PostResult:
    before = state(client)
    result = act()
    assert not result.ok
    assert state(client) == before, "a refused entry changed the ledger"
    return result


def transfer(**overrides: object) -> Callable[[Ledger], PostResult]:
    args: dict[str, object] = dict(entry_id="t-1", from_account=SELLER, to_account=BUYER, asset=BJ_UNIT, qty=5, time=1)
    args.update(overrides)
    return lambda ledger: ledger.transfer(**args)


@pytest.mark.parametrize(
    ("act", "code"),
    [
        (transfer(to_account="CN-BJ/nobody"), Code.UNKNOWN_ACCOUNT),
        (transfer(asset="U:CN-BJ:ALLOWANCE:1999"), Code.UNKNOWN_ASSET),
        (transfer(qty=5_000), Code.INSUFFICIENT_AVAILABLE),
        (transfer(qty=0), Code.INVALID_AMOUNT),
        (transfer(qty=-5), Code.INVALID_AMOUNT),
        (transfer(qty=2.5), Code.INVALID_AMOUNT),
        (transfer(qty=10**20), Code.INVALID_AMOUNT),
        (lambda ledger: ledger.deposit(entry_id="d", account=BUYER, currency="XXX", amount=5, time=1), Code.UNKNOWN_ASSET),
        (lambda ledger: ledger.withdraw(entry_id="w", account=BUYER, currency="CNY", amount=10**9, time=1),
         Code.INSUFFICIENT_AVAILABLE),
    ],
    ids=["unknown account", "unknown unit class", "insufficient", "zero", "negative", "fraction", "huge",
         "unknown currency", "overdrawn cash"],
)
def test_a_bad_movement_is_refused_with_its_code(funded: Ledger, redis_client: redis.Redis, act, code) -> None:
    assert refused(redis_client, lambda: act(funded)).code == code


def test_an_entry_whose_assets_do_not_sum_to_zero_is_unbalanced(funded: Ledger, redis_client: redis.Redis) -> None:
    entry = Entry(entry_id="x", kind=EntryKind.TRANSFER, time=1,
                  postings=(Posting(SELLER, BJ_UNIT, "a", -5), Posting(BUYER, BJ_UNIT, "a", 4)))
    result = refused(redis_client, lambda: funded.post(entry))
    assert (result.code, result.details["asset"]) == (Code.UNBALANCED_ENTRY, BJ_UNIT)


def test_taking_more_reserved_than_there_is_is_refused(funded: Ledger, redis_client: redis.Redis) -> None:
    entry = Entry(entry_id="x", kind=EntryKind.RELEASE, time=1,
                  postings=(Posting(SELLER, BJ_UNIT, "r", -5), Posting(SELLER, BJ_UNIT, "a", 5)))
    assert refused(redis_client, lambda: funded.post(entry)).code == Code.INSUFFICIENT_RESERVED


def test_a_settlement_beyond_the_order_reservation_is_refused(funded: Ledger, redis_client: redis.Redis) -> None:
    place_orders(funded, qty=100)
    result = refused(redis_client, lambda: funded.settle_domestic_trade(
        trade=trade(qty=150, buy_leaves=0, sell_leaves=0), price=4_000, buyer_is_maker=True, fees=FEES,
        registry="CN-BJ", time=3))
    assert result.code == Code.RESERVATION_MISMATCH


def test_a_settlement_without_reservations_is_refused(funded: Ledger, redis_client: redis.Redis) -> None:
    result = refused(redis_client, lambda: funded.settle_domestic_trade(
        trade=trade(), price=4_000, buyer_is_maker=True, fees=FEES, registry="CN-BJ", time=3))
    assert result.code == Code.RESERVATION_MISMATCH


def test_a_settlement_in_another_currency_than_reserved_is_a_currency_mismatch(
    funded: Ledger, redis_client: redis.Redis
) -> None:
    place_orders(funded)
    funded.declare_currency("JPY")
    result = refused(redis_client, lambda: funded.settle_domestic_trade(
        trade=trade(currency="JPY"), price=4_000, buyer_is_maker=True, fees=FEES, registry="CN-BJ", time=3))
    assert result.code == Code.CURRENCY_MISMATCH


def test_a_settlement_with_a_zero_price_is_an_invalid_amount(funded: Ledger, redis_client: redis.Redis) -> None:
    place_orders(funded)
    result = refused(redis_client, lambda: funded.settle_domestic_trade(
        trade=trade(), price=0, buyer_is_maker=True, fees=FeeSchedule(0, 0), registry="CN-BJ", time=3))
    assert result.code == Code.INVALID_AMOUNT


def test_a_record_adjustment_below_zero_is_insufficient_reserved(funded: Ledger, redis_client: redis.Redis) -> None:
    funded.reserve_for_order(order_id="s9", account=SELLER, asset=BJ_UNIT, amount=3, time=1)
    entry = Entry(entry_id="x", kind=EntryKind.RELEASE, time=1,
                  postings=(Posting(SELLER, BJ_UNIT, "r", -3), Posting(SELLER, BJ_UNIT, "a", 3)),
                  records=(AdjustRecord(redis_keys.reservation_key("s9"), "remaining", -4),))
    assert refused(redis_client, lambda: funded.post(entry)).code == Code.INSUFFICIENT_RESERVED


def test_a_second_reservation_for_the_same_order_is_a_mismatch(funded: Ledger, redis_client: redis.Redis) -> None:
    funded.reserve_for_order(order_id="s9", account=SELLER, asset=BJ_UNIT, amount=3, time=1)
    result = refused(redis_client, lambda: funded.post(
        Entry(entry_id="again", kind=EntryKind.RESERVE, time=1, records=(
            CreateRecord(redis_keys.reservation_key("s9"), {"account": SELLER, "asset": BJ_UNIT, "remaining": "1"}),))))
    assert result.code == Code.RESERVATION_MISMATCH


def test_a_counter_over_its_cap_is_refused_with_the_counter_named(funded: Ledger, redis_client: redis.Redis) -> None:
    quota = redis_keys.counter_key("link:CN-BJ>KR:2025")
    ok = funded.post(Entry(entry_id="q1", kind=EntryKind.TRANSFER, time=1, counters=(CounterChange(quota, "used", 8, 10),)))
    result = refused(redis_client, lambda: funded.post(
        Entry(entry_id="q2", kind=EntryKind.TRANSFER, time=1, counters=(CounterChange(quota, "used", 3, 10),))))
    assert ok.ok and (result.code, result.details["counter"], result.details["used"]) == (Code.CAP_EXCEEDED, quota, "8")


def test_a_credit_over_the_configured_holding_limit_is_refused(funded: Ledger, redis_client: redis.Redis) -> None:
    funded.set_holding_limit(BUYER, BJ_UNIT, 10)
    assert funded.transfer(entry_id="t-ok", from_account=SELLER, to_account=BUYER, asset=BJ_UNIT, qty=10, time=1).ok
    result = refused(redis_client, lambda: transfer(to_account=BUYER, qty=1)(funded))
    assert (result.code, result.details["limit"]) == (Code.HOLDING_LIMIT_EXCEEDED, "10")


def test_an_explicit_holding_limit_check_is_enforced(funded: Ledger, redis_client: redis.Redis) -> None:
    entry = Entry(entry_id="x", kind=EntryKind.TRANSFER, time=1,
                  postings=(Posting(SELLER, BJ_UNIT, "a", -5), Posting(BUYER, BJ_UNIT, "a", 5)),
                  limits=(LimitCheck(BUYER, BJ_UNIT, 4),))
    assert refused(redis_client, lambda: funded.post(entry)).code == Code.HOLDING_LIMIT_EXCEEDED


def test_surrender_beyond_the_obligation_is_refused(funded: Ledger, redis_client: redis.Redis) -> None:
    funded.record_emissions(SELLER, period="2025", tonnes=100)
    result = refused(redis_client, lambda: funded.surrender(
        entry_id="s", account=SELLER, unit_class=BJ_UNIT, qty=101, period="2025", time=1))
    assert result.code == Code.OBLIGATION_EXCEEDED


def test_offsets_beyond_the_registry_share_of_the_obligation_are_refused(funded: Ledger, redis_client: redis.Redis) -> None:
    funded.issue(entry_id="off", registry="CN-BJ", unit_class=BJ_OFFSET, qty=100, to_account=SELLER, time=1)
    funded.record_emissions(SELLER, period="2025", tonnes=1_000)  # CN-BJ: offsets ≤ 5% → 50
    assert funded.surrender(entry_id="s1", account=SELLER, unit_class=BJ_OFFSET, qty=50, period="2025", time=1).ok
    result = refused(redis_client, lambda: funded.surrender(
        entry_id="s2", account=SELLER, unit_class=BJ_OFFSET, qty=1, period="2025", time=1))
    assert result.code == Code.OFFSET_LIMIT_EXCEEDED


def test_foreign_units_beyond_the_registry_share_are_refused(funded: Ledger, redis_client: redis.Redis) -> None:
    funded.open_registry("CN-SH", currency="CNY")
    funded.open_account("CN-SH/exporter", account_type=AccountType.HOLDING, holder="x")
    funded.issue(entry_id="sh", registry="CN-SH", unit_class=SH_OFFSET, qty=100, to_account="CN-SH/exporter", time=1)
    funded.record_emissions(SELLER, period="2025", tonnes=1_000)  # CN-BJ: foreign ≤ 1/40 → 25
    funded.post(Entry(entry_id="import", kind=EntryKind.BRIDGE_DELIVERY, time=1, postings=(
        Posting("CN-SH/exporter", SH_OFFSET, "a", -30), Posting("CN-SH/BRIDGE", SH_OFFSET, "a", 30),
        Posting("CN-BJ/BRIDGE", SH_OFFSET, "a", -30), Posting(SELLER, SH_OFFSET, "a", 30))))
    result = refused(redis_client, lambda: funded.surrender(
        entry_id="s", account=SELLER, unit_class=SH_OFFSET, qty=26, period="2025", time=1))
    assert result.code == Code.FOREIGN_LIMIT_EXCEEDED


def test_surrender_without_recorded_emissions_is_refused(funded: Ledger, redis_client: redis.Redis) -> None:
    result = refused(redis_client, lambda: funded.surrender(
        entry_id="s", account=SELLER, unit_class=BJ_UNIT, qty=1, period="2030", time=1))
    assert result.code == Code.OBLIGATION_EXCEEDED


def test_a_refused_settlement_leaves_cash_and_units_where_they_were(funded: Ledger) -> None:
    place_orders(funded)
    before = funded.balances(BUYER), funded.balances(SELLER)
    funded.settle_domestic_trade(trade=trade(unit_class=BJ_OFFSET), price=4_000, buyer_is_maker=True, fees=FEES,
                                 registry="CN-BJ", time=3)
    assert (funded.balances(BUYER), funded.balances(SELLER)) == before
    assert funded.balances(BUYER)[CNY][1] > 0
