"""Every entry kind against the real Redis: what it moves, what it journals, and that a repeat is a no-op."""

from __future__ import annotations

import pytest

from shared.cash_legs import fill_cash
from shared import redis_keys
from shared.ledger import AccountType, AdjustRecord, Entry, EntryKind, Ledger, Posting, entries, system_account
from tests.integration.ledger.books import BJ_UNIT, BUYER, CNY, FEES, KR_UNIT, SELLER, SEOUL, place_orders, trade

pytestmark = pytest.mark.integration


def test_issue_creates_units_against_the_issuance_account(ledger: Ledger) -> None:
    result = ledger.issue(entry_id="iss-1", registry="CN-BJ", unit_class=BJ_UNIT, qty=500, to_account=SELLER, time=7)
    assert result.ok and set(result.journal_ids) == {"CN-BJ"}
    assert ledger.balances(SELLER) == {BJ_UNIT: (500, 0)}
    assert ledger.balances("CN-BJ/ISSUANCE") == {BJ_UNIT: (-500, 0)}
    [record] = ledger.journal("CN-BJ")
    assert (record.entry_id, record.kind, record.time) == ("iss-1", "ISSUE", 7)


def test_a_repeated_entry_id_returns_the_first_result_and_applies_nothing(ledger: Ledger) -> None:
    first = ledger.issue(entry_id="iss-1", registry="CN-BJ", unit_class=BJ_UNIT, qty=500, to_account=SELLER, time=7)
    again = ledger.issue(entry_id="iss-1", registry="CN-BJ", unit_class=BJ_UNIT, qty=900, to_account=SELLER, time=8)
    assert again.duplicate and not first.duplicate
    assert again.journal_ids == first.journal_ids
    assert ledger.balances(SELLER) == {BJ_UNIT: (500, 0)}
    assert len(ledger.journal("CN-BJ")) == 1


def test_a_refusal_is_the_first_result_too(ledger: Ledger) -> None:
    refused = ledger.withdraw(entry_id="w-1", account=BUYER, currency="CNY", amount=5, time=1)
    ledger.deposit(entry_id="d-1", account=BUYER, currency="CNY", amount=10, time=1)
    again = ledger.withdraw(entry_id="w-1", account=BUYER, currency="CNY", amount=5, time=1)
    assert (again.ok, again.code, again.duplicate) == (False, refused.code, True)


def test_allocate_issues_and_counts_the_allocation(ledger: Ledger) -> None:
    assert ledger.allocate(entry_id="al-1", registry="CN-BJ", unit_class=BJ_UNIT, qty=300, to_account=BUYER, time=1).ok
    assert ledger.balances(BUYER) == {BJ_UNIT: (300, 0)}
    assert ledger.record(redis_keys.counter_key(f"allocation:{BUYER}")) == {BJ_UNIT: "300"}


def test_transfer_moves_available_units(funded: Ledger) -> None:
    assert funded.transfer(entry_id="t-1", from_account=SELLER, to_account=BUYER, asset=BJ_UNIT, qty=10, time=1).ok
    assert funded.balances(BUYER)[BJ_UNIT] == (10, 0)
    assert funded.balances(SELLER)[BJ_UNIT] == (990, 0)


def test_deposit_and_withdraw_go_through_the_cash_gateway(ledger: Ledger) -> None:
    assert ledger.deposit(entry_id="d-1", account=BUYER, currency="CNY", amount=1_000, time=1).ok
    assert ledger.withdraw(entry_id="w-1", account=BUYER, currency="CNY", amount=400, time=1).ok
    assert ledger.balances(BUYER) == {CNY: (600, 0)}
    assert ledger.balances("CN-BJ/CASH-GATEWAY") == {CNY: (-600, 0)}


def test_a_fee_goes_to_the_registry_fee_account(funded: Ledger) -> None:
    assert funded.charge_fee(entry_id="f-1", account=BUYER, currency="CNY", amount=25, time=1).ok
    assert funded.balances("CN-BJ/FEES") == {CNY: (25, 0)}


def test_retire_and_cancel_take_units_out_for_good(funded: Ledger) -> None:
    assert funded.retire(entry_id="r-1", account=SELLER, unit_class=BJ_UNIT, qty=3, time=1).ok
    assert funded.cancel_units(entry_id="c-1", account=SELLER, unit_class=BJ_UNIT, qty=4, time=1).ok
    assert funded.balances("CN-BJ/RETIREMENT") == {BJ_UNIT: (3, 0)}
    assert funded.balances("CN-BJ/CANCELLATION") == {BJ_UNIT: (4, 0)}
    assert funded.balances(SELLER) == {BJ_UNIT: (993, 0)}


def test_surrender_retires_units_against_the_verified_emissions(funded: Ledger) -> None:
    funded.record_emissions(SELLER, period="2025", tonnes=600)
    result = funded.surrender(entry_id="s-1", account=SELLER, unit_class=BJ_UNIT, qty=600, period="2025", time=1)
    assert result.ok
    assert funded.balances("CN-BJ/RETIREMENT") == {BJ_UNIT: (600, 0)}
    assert funded.record(redis_keys.counter_key(f"surrender:{SELLER}:2025")) == {"total": "600"}


def test_reserve_moves_available_to_reserved_and_opens_the_record(funded: Ledger) -> None:
    assert funded.reserve_for_order(order_id="s9", account=SELLER, asset=BJ_UNIT, amount=30, time=1).ok
    assert funded.balances(SELLER)[BJ_UNIT] == (970, 30)
    assert funded.record(redis_keys.reservation_key("s9"))["remaining"] == "30"


def test_release_returns_what_remains_and_a_second_release_does_nothing(funded: Ledger) -> None:
    funded.reserve_for_order(order_id="s9", account=SELLER, asset=BJ_UNIT, amount=30, time=1)
    assert funded.release_order(order_id="s9", time=2).ok
    assert funded.balances(SELLER)[BJ_UNIT] == (1_000, 0)
    assert funded.record(redis_keys.reservation_key("s9")) == {}
    assert funded.release_order(order_id="s9", time=3).duplicate
    assert funded.release_order(order_id="never-placed", time=3).ok


def test_settlement_is_delivery_versus_payment_with_fees_and_price_improvement(funded: Ledger) -> None:
    reservation = place_orders(funded, limit_price=5_000, qty=100)
    result = funded.settle_domestic_trade(
        trade=trade(qty=40, buy_leaves=60, sell_leaves=60), price=4_900, buyer_is_maker=False, fees=FEES,
        registry="CN-BJ", time=3,
    )
    cash = fill_cash(FEES, limit_price=5_000, order_qty=100, filled_before=0, qty=40, price=4_900, buyer_is_maker=False)
    assert result.ok
    assert funded.balances(BUYER) == {
        CNY: (10_000_000 - reservation + cash.buyer.released, reservation - cash.buyer.consumed),
        BJ_UNIT: (40, 0),
    }
    assert funded.balances(SELLER) == {CNY: (cash.seller.received, 0), BJ_UNIT: (900, 60)}
    assert funded.balances("CN-BJ/FEES") == {CNY: (cash.fees, 0)}
    assert funded.record(redis_keys.reservation_key("b1"))["remaining"] == str(reservation - cash.buyer.consumed)


def test_the_fill_that_completes_an_order_leaves_no_reservation_behind(funded: Ledger) -> None:
    place_orders(funded, limit_price=5_000, qty=100)
    funded.settle_domestic_trade(
        trade=trade(trade_id="BJA:T1", qty=40, buy_leaves=60, sell_leaves=60),
        price=4_900, buyer_is_maker=False, fees=FEES, registry="CN-BJ", time=3,
    )
    funded.settle_domestic_trade(
        trade=trade(trade_id="BJA:T2", qty=60, buy_leaves=0, sell_leaves=0),
        price=4_950, buyer_is_maker=True, fees=FEES, registry="CN-BJ", time=4,
    )
    assert funded.balances(BUYER)[CNY][1] == 0 and funded.balances(SELLER)[BJ_UNIT] == (900, 0)
    assert funded.record(redis_keys.reservation_key("b1")) == {}
    assert funded.record(redis_keys.reservation_key("s1")) == {}


def test_a_sell_order_cancelled_after_a_partial_fill_keeps_only_the_unfilled_part_reserved(funded: Ledger) -> None:
    place_orders(funded, limit_price=5_000, qty=100)
    funded.settle_domestic_trade(
        trade=trade(qty=40, buy_leaves=60, sell_leaves=0), price=5_000, buyer_is_maker=False, fees=FEES,
        registry="CN-BJ", time=3,
    )
    assert funded.balances(SELLER)[BJ_UNIT] == (960, 0)


def test_a_settlement_delivered_twice_settles_once(funded: Ledger) -> None:
    place_orders(funded)
    args = dict(trade=trade(), price=4_900, buyer_is_maker=False, fees=FEES, registry="CN-BJ", time=3)
    first = funded.settle_domestic_trade(**args)
    before = funded.balances(BUYER), funded.balances(SELLER)
    assert funded.settle_domestic_trade(**args).duplicate
    assert (funded.balances(BUYER), funded.balances(SELLER)) == before and first.ok


def test_a_cross_registry_fill_moves_both_portions_into_trade_holds_and_back(funded: Ledger) -> None:
    reservation = place_orders(funded)
    assert funded.hold_for_bridge(trade=trade(qty=40, buy_leaves=60, sell_leaves=60), fees=FEES, time=3).ok
    hold = funded.record(redis_keys.hold_key("BJA:T1", "buy"))
    resv = funded.record(redis_keys.reservation_key("b1"))
    assert int(hold["remaining"]) + int(resv["remaining"]) == reservation
    assert funded.record(redis_keys.hold_key("BJA:T1", "sell"))["remaining"] == "40"
    assert funded.balances(BUYER)[CNY][1] == reservation
    assert funded.release_holds(trade_id="BJA:T1", time=4).ok
    assert funded.balances(BUYER)[CNY][1] == int(resv["remaining"])
    assert funded.balances(SELLER)[BJ_UNIT] == (940, 60)
    assert funded.record(redis_keys.hold_key("BJA:T1", "buy")) == {}


def test_a_bridge_delivery_crosses_the_border_through_both_bridge_accounts(funded: Ledger) -> None:
    funded.reserve_for_order(order_id="s1", account=SELLER, asset=BJ_UNIT, amount=10, time=1)
    delivery = Entry(
        entry_id="bridge:BJA:T7",
        kind=EntryKind.BRIDGE_DELIVERY,
        time=5,
        postings=(
            Posting(SELLER, BJ_UNIT, "r", -10),
            Posting(system_account("CN-BJ", AccountType.BRIDGE), BJ_UNIT, "a", 10),
            Posting(system_account("KR", AccountType.BRIDGE), KR_UNIT, "a", -5),
            Posting(SEOUL, KR_UNIT, "a", 5),
        ),
        records=(AdjustRecord(redis_keys.reservation_key("s1"), "remaining", -10, delete_at_zero=True),),
        declare_assets=(KR_UNIT,),
    )
    result = funded.post(delivery)
    assert result.ok and set(result.journal_ids) == {"CN-BJ", "KR"}
    assert funded.balances(SEOUL) == {KR_UNIT: (5, 0)}
    assert [p.account for p in funded.journal("KR")[-1].postings] == ["KR/BRIDGE", SEOUL]


def test_a_batch_of_settlements_runs_in_two_round_trips_with_the_same_effect(funded: Ledger) -> None:
    for n in range(3):
        place_orders(funded, qty=10, buy=f"b{n}", sell=f"s{n}")
    plans = [
        entries.settle_domestic_trade(
            trade=trade(trade_id=f"T{n}", buy_order_id=f"b{n}", sell_order_id=f"s{n}", qty=10, buy_leaves=0,
                        sell_leaves=0),
            price=5_000, buyer_is_maker=True, fees=FEES, registry="CN-BJ", time=3,
        )
        for n in range(3)
    ]
    assert all(result.ok for result in funded.run_many(plans))
    assert funded.balances(BUYER)[BJ_UNIT] == (30, 0) and funded.balances(BUYER)[CNY][1] == 0
