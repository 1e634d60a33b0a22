"""The audit passes after any sequence of valid and invalid movements, and fails on a corrupted book."""

from __future__ import annotations

import pytest
import redis
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from carbonlink.audit.ledger import audit_ledger
from shared.fees import buy_reservation
from shared import redis_keys
from shared.ledger import AccountType, Entry, EntryKind, Ledger, Posting, PostResult, TradeSides
from tests.integration.ledger.books import BJ_UNIT, BUYER, CNY, FEES, KR_UNIT, SELLER, SEOUL, fund, open_books

pytestmark = pytest.mark.integration

TRADERS = (BUYER, SELLER, "CN-BJ/third")

steps = st.lists(
    st.one_of(
        st.tuples(st.just("transfer"), st.sampled_from(TRADERS), st.sampled_from(TRADERS), st.integers(-5, 400)),
        st.tuples(st.just("deposit"), st.sampled_from(TRADERS), st.integers(-5, 10**6)),
        st.tuples(st.just("withdraw"), st.sampled_from(TRADERS), st.integers(1, 10**6)),
        st.tuples(st.just("trade"), st.integers(1, 60), st.integers(1, 60), st.integers(100, 6_000), st.booleans()),
        st.tuples(st.just("retire"), st.sampled_from(TRADERS), st.integers(1, 50)),
        st.tuples(st.just("export"), st.integers(1, 50)),
        st.tuples(st.just("cancel_order"), st.integers(0, 20)),
    ),
    max_size=25,
)


def apply(ledger: Ledger, n: int, step: tuple) -> PostResult:
    """Apply one random step; the result of its last entry."""
    match step:
        case ("transfer", source, target, qty):
            return ledger.transfer(entry_id=f"e{n}", from_account=source, to_account=target, asset=BJ_UNIT, qty=qty, time=n)
        case ("deposit", account, amount):
            return ledger.deposit(entry_id=f"e{n}", account=account, currency="CNY", amount=amount, time=n)
        case ("withdraw", account, amount):
            return ledger.withdraw(entry_id=f"e{n}", account=account, currency="CNY", amount=amount, time=n)
        case ("trade", order_qty, fill_qty, price, complete):
            # a buy at 5,000 and a sell, one fill of at most the order, settled domestically
            fill = min(fill_qty, order_qty)
            amount = buy_reservation(FEES, limit_price=5_000, quantity=order_qty)
            ledger.reserve_for_order(order_id=f"b{n}", account=BUYER, asset=CNY, amount=amount,
                                     limit_price=5_000, quantity=order_qty, time=n)
            ledger.reserve_for_order(order_id=f"s{n}", account=SELLER, asset=BJ_UNIT, amount=order_qty, time=n)
            leaves = 0 if complete else order_qty - fill
            return ledger.settle_domestic_trade(
                trade=TradeSides(trade_id=f"T{n}", buyer_account=BUYER, seller_account=SELLER, buy_order_id=f"b{n}",
                                 sell_order_id=f"s{n}", unit_class=BJ_UNIT, currency="CNY", qty=fill,
                                 buy_leaves=leaves, sell_leaves=leaves),
                price=min(price, 5_000), buyer_is_maker=complete, fees=FEES, registry="CN-BJ", time=n)
        case ("retire", account, qty):
            return ledger.retire(entry_id=f"e{n}", account=account, unit_class=BJ_UNIT, qty=qty, time=n)
        case ("export", qty):
            return ledger.post(Entry(entry_id=f"e{n}", kind=EntryKind.BRIDGE_DELIVERY, time=n, declare_assets=(KR_UNIT,),
                              postings=(Posting(SELLER, BJ_UNIT, "a", -qty), Posting("CN-BJ/BRIDGE", BJ_UNIT, "a", qty),
                                        Posting("KR/BRIDGE", KR_UNIT, "a", -qty), Posting(SEOUL, KR_UNIT, "a", qty))))
        case ("cancel_order", k):
            ledger.release_order(order_id=f"b{k}", time=n)
            return ledger.release_order(order_id=f"s{k}", time=n)
    raise AssertionError(f"unknown step {step}")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_the_audit_passes_after_any_sequence_of_movements(redis_client: redis.Redis, sequence: list[tuple]) -> None:
    redis_client.flushdb()
    ledger = Ledger(redis_client)
    open_books(ledger)
    ledger.open_account("CN-BJ/third", account_type=AccountType.HOLDING, holder="third")
    fund(ledger, units=2_000, cash=5_000_000)
    for n, step in enumerate(sequence):
        event(f"{step[0]} {'applied' if apply(ledger, n, step).ok else 'refused'}")
    report = audit_ledger(redis_client)
    assert report.ok, report.to_dict()


@pytest.fixture
def funded(redis_client: redis.Redis) -> Ledger:
    """The ledger tests' books, opened and funded (this directory's ``ledger`` fixture is the bridge's)."""
    books = Ledger(redis_client)
    open_books(books)
    fund(books)
    return books


@pytest.fixture
def audited_books(funded: Ledger, redis_client: redis.Redis) -> redis.Redis:
    apply(funded, 1, ("trade", 50, 20, 4_900, False))
    apply(funded, 2, ("export", 5))
    assert audit_ledger(redis_client).ok
    return redis_client


def failing(client: redis.Redis) -> set[str]:
    return {check.name for check in audit_ledger(client).checks if not check.ok}


def test_a_balance_changed_by_hand_fails_the_cash_and_journal_checks(audited_books: redis.Redis) -> None:
    audited_books.hincrby(redis_keys.balance_key(BUYER), f"{CNY}|a", 1)
    assert failing(audited_books) == {"cash", "journal_replay"}


def test_units_created_by_hand_fail_the_unit_check(audited_books: redis.Redis) -> None:
    audited_books.hincrby(redis_keys.balance_key(SELLER), f"{BJ_UNIT}|a", 3)
    assert {"units", "journal_replay"} <= failing(audited_books)


def test_a_reservation_record_out_of_step_with_the_balance_fails_the_reservation_check(
    audited_books: redis.Redis,
) -> None:
    audited_books.hincrby(redis_keys.reservation_key("b1"), "remaining", -1)
    assert failing(audited_books) == {"reservations"}


def test_a_cross_border_entry_that_bypasses_the_bridge_accounts_fails_the_unit_check(
    funded: Ledger, redis_client: redis.Redis
) -> None:
    funded.post(Entry(entry_id="smuggle", kind=EntryKind.TRANSFER, time=1,
                      postings=(Posting(SELLER, BJ_UNIT, "a", -5), Posting(SEOUL, BJ_UNIT, "a", 5))))
    assert failing(redis_client) == {"units"}


def test_the_report_is_json_with_an_ok_flag(audited_books: redis.Redis) -> None:
    import orjson

    summary = orjson.loads(orjson.dumps(audit_ledger(audited_books).to_dict()))
    assert summary["ok"] is True and {c["name"] for c in summary["checks"]} >= {"units", "cash", "journal_replay"}
