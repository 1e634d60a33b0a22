"""The contract of the ledger port (``shared.ledger.LedgerPort``), one suite for every adapter: subclass
``LedgerContract`` and give it an ``empty_ledger`` fixture (the in-memory fake in unit tests, the Redis adapter in
integration tests). The books: two registries, a buyer and a seller in Beijing, a trader in Seoul."""

from __future__ import annotations

from fractions import Fraction

import pytest

from shared import redis_keys
from shared.cash_legs import fill_cash
from shared.fees import FeeSchedule, buy_reservation
from shared.ledger import (
    AccountType,
    AdjustRecord,
    Code,
    CounterChange,
    CreateRecord,
    DrainRecord,
    Entry,
    EntryKind,
    LedgerPort,
    LimitCheck,
    Posting,
    TradeSides,
    entries,
    system_account,
    unit_asset,
)

BJ_UNIT = unit_asset("CN-BJ", "ALLOWANCE", 2025)
BJ_OFFSET = unit_asset("CN-BJ", "OFFSET", 2024)
KR_UNIT = unit_asset("KR", "ALLOWANCE", 2025)
CNY = "C:CNY"
BUYER = "CN-BJ/buyer"
SELLER = "CN-BJ/seller"
SEOUL = "KR/trader"
FEES = FeeSchedule(maker_bps=5, taker_bps=10, min_fee=100)
CASH = 10_000_000
UNITS = 1_000


def trade(**overrides: object) -> TradeSides:
    fields: dict[str, object] = dict(trade_id="BJA:T1", buyer_account=BUYER, seller_account=SELLER, buy_order_id="b1",
                                     sell_order_id="s1", unit_class=BJ_UNIT, currency="CNY", qty=40, buy_leaves=60,
                                     sell_leaves=60)
    return TradeSides(**(fields | overrides))  # type: ignore[arg-type]


async def open_books(ledger: LedgerPort) -> LedgerPort:
    """The books opened and funded: the buyer holds CASH in CNY, the seller UNITS Beijing allowances."""
    await ledger.open_registry("CN-BJ", currency="CNY", offset_share=Fraction(5, 100), foreign_share=Fraction(1, 40))
    await ledger.open_registry("KR", currency="KRW", offset_share=Fraction(1, 10))
    for account in (BUYER, SELLER, SEOUL):
        await ledger.open_account(account, account_type=AccountType.HOLDING, holder=account)
    assert (await ledger.deposit(entry_id="fund-cash", account=BUYER, currency="CNY", amount=CASH, time=1)).ok
    assert (await ledger.issue(entry_id="fund-units", registry="CN-BJ", unit_class=BJ_UNIT, qty=UNITS,
                               to_account=SELLER, time=1)).ok
    return ledger


async def place_orders(ledger: LedgerPort, *, limit_price: int = 5_000, qty: int = 100, buy: str = "b1",
                       sell: str = "s1", buyer: str = BUYER) -> int:
    """A buy of ``qty`` at ``limit_price`` by ``buyer`` and a sell of ``qty`` by SELLER, both reserved."""
    amount = buy_reservation(FEES, limit_price=limit_price, quantity=qty)
    assert (await ledger.reserve_for_order(order_id=buy, account=buyer, asset=CNY, amount=amount,
                                           limit_price=limit_price, quantity=qty, time=2)).ok
    assert (await ledger.reserve_for_order(order_id=sell, account=SELLER, asset=BJ_UNIT, amount=qty, quantity=qty,
                                           time=2)).ok
    return amount


class LedgerContract:
    """What every ledger adapter does, entry by entry and refusal by refusal."""

    @pytest.fixture
    async def ledger(self, empty_ledger: LedgerPort) -> LedgerPort:
        return await open_books(empty_ledger)

    async def test_issue_creates_units_against_the_issuance_account_and_journals_them(
            self, ledger: LedgerPort) -> None:
        result = await ledger.issue(entry_id="iss-1", registry="CN-BJ", unit_class=BJ_UNIT, qty=500, to_account=BUYER,
                                    time=7)
        assert result.ok and set(result.journal_ids) == {"CN-BJ"}
        assert (await ledger.balances(BUYER))[BJ_UNIT] == (500, 0)
        assert await ledger.balances("CN-BJ/ISSUANCE") == {BJ_UNIT: (-1_500, 0)}
        record = (await ledger.journal("CN-BJ"))[-1]
        assert (record.entry_id, record.kind, record.time) == ("iss-1", "ISSUE", 7)
        assert {(p.account, p.delta) for p in record.postings} == {("CN-BJ/ISSUANCE", -500), (BUYER, 500)}

    async def test_a_repeated_entry_id_returns_the_first_result_and_applies_nothing(self, ledger: LedgerPort) -> None:
        first = await ledger.transfer(entry_id="t-1", from_account=SELLER, to_account=BUYER, asset=BJ_UNIT, qty=5,
                                      time=1)
        again = await ledger.transfer(entry_id="t-1", from_account=SELLER, to_account=BUYER, asset=BJ_UNIT, qty=9,
                                      time=2)
        assert (first.duplicate, again.duplicate, again.journal_ids) == (False, True, first.journal_ids)
        assert (await ledger.balances(BUYER))[BJ_UNIT] == (5, 0)

    async def test_a_refusal_is_the_first_result_too(self, ledger: LedgerPort) -> None:
        refused = await ledger.withdraw(entry_id="w-1", account=SELLER, currency="CNY", amount=5, time=1)
        await ledger.deposit(entry_id="d-1", account=SELLER, currency="CNY", amount=10, time=1)
        again = await ledger.withdraw(entry_id="w-1", account=SELLER, currency="CNY", amount=5, time=1)
        assert (refused.code, again.ok, again.code, again.duplicate) == (Code.INSUFFICIENT_AVAILABLE, False,
                                                                          Code.INSUFFICIENT_AVAILABLE, True)

    async def test_cash_comes_and_goes_through_the_gateway_and_fees_reach_the_fee_account(
            self, ledger: LedgerPort) -> None:
        assert (await ledger.withdraw(entry_id="w-1", account=BUYER, currency="CNY", amount=400, time=1)).ok
        assert (await ledger.charge_fee(entry_id="f-1", account=BUYER, currency="CNY", amount=25, time=1)).ok
        assert await ledger.balances(BUYER) == {CNY: (CASH - 425, 0)}
        assert await ledger.balances("CN-BJ/CASH-GATEWAY") == {CNY: (-(CASH - 400), 0)}
        assert await ledger.balances("CN-BJ/FEES") == {CNY: (25, 0)}

    async def test_retire_cancel_and_surrender_take_units_out_for_good(self, ledger: LedgerPort) -> None:
        await ledger.record_emissions(SELLER, period="2025", tonnes=600)
        assert (await ledger.retire(entry_id="r-1", account=SELLER, unit_class=BJ_UNIT, qty=3, time=1)).ok
        assert (await ledger.cancel_units(entry_id="c-1", account=SELLER, unit_class=BJ_UNIT, qty=4, time=1)).ok
        assert (await ledger.surrender(entry_id="s-1", account=SELLER, unit_class=BJ_UNIT, qty=600, period="2025",
                                       time=1)).ok
        assert await ledger.balances("CN-BJ/RETIREMENT") == {BJ_UNIT: (603, 0)}
        assert await ledger.balances("CN-BJ/CANCELLATION") == {BJ_UNIT: (4, 0)}
        assert await ledger.record(redis_keys.counter_key(f"surrender:{SELLER}:2025")) == {"total": "600"}
        beyond = await ledger.surrender(entry_id="s-2", account=SELLER, unit_class=BJ_UNIT, qty=1, period="2025",
                                        time=2)
        assert beyond.code == Code.OBLIGATION_EXCEEDED

    async def test_a_reservation_is_opened_and_released_once(self, ledger: LedgerPort) -> None:
        assert (await ledger.reserve_for_order(order_id="s9", account=SELLER, asset=BJ_UNIT, amount=30, time=1)).ok
        assert (await ledger.balances(SELLER))[BJ_UNIT] == (UNITS - 30, 30)
        assert (await ledger.record(redis_keys.reservation_key("s9")))["remaining"] == "30"
        assert (await ledger.release_order(order_id="s9", time=2)).ok
        assert (await ledger.balances(SELLER))[BJ_UNIT] == (UNITS, 0)
        assert await ledger.record(redis_keys.reservation_key("s9")) == {}
        assert (await ledger.release_order(order_id="s9", time=3)).duplicate
        assert (await ledger.release_order(order_id="never-placed", time=3)).ok

    async def test_settlement_is_delivery_versus_payment_with_fees_and_price_improvement(
            self, ledger: LedgerPort) -> None:
        reservation = await place_orders(ledger, limit_price=5_000, qty=100)
        assert (await ledger.settle_domestic_trade(trade=trade(), price=4_900, buyer_is_maker=False, fees=FEES,
                                                   registry="CN-BJ", time=3)).ok
        cash = fill_cash(FEES, limit_price=5_000, order_qty=100, filled_before=0, qty=40, price=4_900,
                         buyer_is_maker=False)
        assert await ledger.balances(BUYER) == {
            CNY: (CASH - reservation + cash.buyer.released, reservation - cash.buyer.consumed), BJ_UNIT: (40, 0)}
        assert await ledger.balances(SELLER) == {CNY: (cash.seller.received, 0), BJ_UNIT: (UNITS - 100, 60)}
        assert await ledger.balances("CN-BJ/FEES") == {CNY: (cash.fees, 0)}

    async def test_the_fill_that_completes_both_orders_leaves_no_reservation_behind(self, ledger: LedgerPort) -> None:
        await place_orders(ledger)
        await ledger.settle_domestic_trade(trade=trade(), price=4_900, buyer_is_maker=False, fees=FEES,
                                           registry="CN-BJ", time=3)
        await ledger.settle_domestic_trade(trade=trade(trade_id="BJA:T2", qty=60, buy_leaves=0, sell_leaves=0),
                                           price=4_950, buyer_is_maker=True, fees=FEES, registry="CN-BJ", time=4)
        assert (await ledger.balances(BUYER))[CNY][1] == 0
        assert (await ledger.balances(SELLER))[BJ_UNIT] == (UNITS - 100, 0)
        assert await ledger.read_records([redis_keys.reservation_key("b1"), redis_keys.reservation_key("s1")]) == [
            {}, {}]

    async def test_a_batch_of_settlements_has_the_effect_of_each_in_turn(self, ledger: LedgerPort) -> None:
        for n in range(3):
            await place_orders(ledger, qty=10, buy=f"b{n}", sell=f"s{n}")
        plans = [entries.settle_domestic_trade(
            trade=trade(trade_id=f"T{n}", buy_order_id=f"b{n}", sell_order_id=f"s{n}", qty=10, buy_leaves=0,
                        sell_leaves=0),
            price=5_000, buyer_is_maker=True, fees=FEES, registry="CN-BJ", time=3) for n in range(3)]
        assert all(result.ok for result in await ledger.run_many(plans))
        assert (await ledger.balances(BUYER))[BJ_UNIT] == (30, 0)
        assert (await ledger.balances(BUYER))[CNY][1] == 0

    async def test_a_cross_registry_fill_moves_both_portions_into_holds_and_back(self, ledger: LedgerPort) -> None:
        reservation = await place_orders(ledger)
        assert (await ledger.hold_for_bridge(trade=trade(), fees=FEES, time=3)).ok
        hold, left = await ledger.read_records([redis_keys.hold_key("BJA:T1", "buy"),
                                                redis_keys.reservation_key("b1")])
        assert int(hold["remaining"]) + int(left["remaining"]) == reservation
        assert (await ledger.release_holds(trade_id="BJA:T1", time=4)).ok
        assert (await ledger.balances(BUYER))[CNY][1] == int(left["remaining"])
        assert (await ledger.balances(SELLER))[BJ_UNIT] == (UNITS - 60, 60)

    async def test_a_bridge_delivery_crosses_the_border_and_journals_in_both_registries(
            self, ledger: LedgerPort) -> None:
        await ledger.reserve_for_order(order_id="s1", account=SELLER, asset=BJ_UNIT, amount=10, time=1)
        result = await ledger.post(Entry(
            entry_id="bridge:BJA:T7", kind=EntryKind.BRIDGE_DELIVERY, time=5,
            postings=(Posting(SELLER, BJ_UNIT, "r", -10),
                      Posting(system_account("CN-BJ", AccountType.BRIDGE), BJ_UNIT, "a", 10),
                      Posting(system_account("KR", AccountType.BRIDGE), KR_UNIT, "a", -5),
                      Posting(SEOUL, KR_UNIT, "a", 5)),
            records=(AdjustRecord(redis_keys.reservation_key("s1"), "remaining", -10, delete_at_zero=True),),
            declare_assets=(KR_UNIT,)))
        assert result.ok and set(result.journal_ids) == {"CN-BJ", "KR"}
        assert await ledger.balances(SEOUL) == {KR_UNIT: (5, 0)}
        assert [p.account for p in (await ledger.journal("KR"))[-1].postings] == ["KR/BRIDGE", SEOUL]
        assert await ledger.record(redis_keys.reservation_key("s1")) == {}

    @pytest.mark.parametrize(("overrides", "code"), [
        (dict(to_account="CN-BJ/nobody"), Code.UNKNOWN_ACCOUNT),
        (dict(asset="U:CN-BJ:ALLOWANCE:1999"), Code.UNKNOWN_ASSET),
        (dict(qty=5_000), Code.INSUFFICIENT_AVAILABLE),
        (dict(qty=0), Code.INVALID_AMOUNT),
        (dict(qty=-5), Code.INVALID_AMOUNT),
        (dict(qty=10**20), Code.INVALID_AMOUNT),
    ], ids=["unknown account", "unknown unit class", "insufficient", "zero", "negative", "huge"])
    async def test_a_bad_transfer_is_refused_with_its_code_and_moves_nothing(
            self, ledger: LedgerPort, overrides: dict[str, object], code: Code) -> None:
        args = dict(entry_id="t-bad", from_account=SELLER, to_account=BUYER, asset=BJ_UNIT, qty=5, time=1)
        before = await ledger.balances(SELLER), await ledger.balances(BUYER)
        assert (await ledger.transfer(**(args | overrides))).code == code
        assert (await ledger.balances(SELLER), await ledger.balances(BUYER)) == before

    async def test_an_entry_whose_assets_do_not_sum_to_zero_is_unbalanced(self, ledger: LedgerPort) -> None:
        result = await ledger.post(Entry(entry_id="x", kind=EntryKind.TRANSFER, time=1,
                                         postings=(Posting(SELLER, BJ_UNIT, "a", -5), Posting(BUYER, BJ_UNIT, "a", 4))))
        assert result.code == Code.UNBALANCED_ENTRY

    async def test_a_second_reservation_for_one_order_is_the_first_again_or_a_mismatch(
            self, ledger: LedgerPort) -> None:
        await ledger.reserve_for_order(order_id="s9", account=SELLER, asset=BJ_UNIT, amount=30, time=1)
        again = await ledger.reserve_for_order(order_id="s9", account=SELLER, asset=BJ_UNIT, amount=5, time=2)
        other = await ledger.post(Entry(entry_id="again", kind=EntryKind.RESERVE, time=1, records=(
            CreateRecord(redis_keys.reservation_key("s9"), {"account": SELLER, "asset": BJ_UNIT, "remaining": "1"}),)))
        assert (again.ok, again.duplicate, other.code) == (True, True, Code.RESERVATION_MISMATCH)
        assert (await ledger.balances(SELLER))[BJ_UNIT] == (UNITS - 30, 30)

    async def test_a_record_adjustment_below_zero_is_insufficient_reserved(self, ledger: LedgerPort) -> None:
        await ledger.reserve_for_order(order_id="s9", account=SELLER, asset=BJ_UNIT, amount=30, time=1)
        result = await ledger.post(Entry(entry_id="x", kind=EntryKind.SETTLE, time=1,
                                         records=(AdjustRecord(redis_keys.reservation_key("s9"), "remaining", -31),)))
        assert result.code == Code.INSUFFICIENT_RESERVED

    async def test_a_counter_over_its_cap_is_refused_with_the_code_it_names(self, ledger: LedgerPort) -> None:
        key = redis_keys.counter_key("link:BJ-KR:2025")

        def bump(entry_id: str, delta: int) -> Entry:
            return Entry(entry_id=entry_id, kind=EntryKind.TRANSFER, time=1, postings=(
                Posting(SELLER, BJ_UNIT, "a", -1), Posting(BUYER, BJ_UNIT, "a", 1)),
                counters=(CounterChange(key, "used", delta, cap=10, code="PERIOD_CAP_EXCEEDED"),))

        assert (await ledger.post(bump("c1", 8))).ok
        over = await ledger.post(bump("c2", 3))
        assert (over.code, over.details["used"], over.details["cap"]) == ("PERIOD_CAP_EXCEEDED", "8", "10")
        assert await ledger.record(key) == {"used": "8"}

    async def test_a_cap_counts_the_fields_it_is_capped_with(self, ledger: LedgerPort) -> None:
        key = redis_keys.counter_key("bridge:quota:2025")
        await ledger.post(Entry(entry_id="r", kind=EntryKind.RESERVE, time=1,
                                counters=(CounterChange(key, "RESERVED|LINK", 6),)))

        def deliver(entry_id: str, delta: int) -> Entry:
            return Entry(entry_id=entry_id, kind=EntryKind.TRANSFER, time=1,
                         counters=(CounterChange(key, "LINK", delta, cap=10, code="7151", cap_with=("RESERVED|LINK",)),))

        assert (await ledger.post(deliver("d1", 4))).ok
        over = await ledger.post(deliver("d2", 1))
        assert (over.code, over.details["used"]) == ("7151", "10")
        assert await ledger.record(key) == {"RESERVED|LINK": "6", "LINK": "4"}

    async def test_a_deleted_record_gives_back_what_it_held_of_its_counters_first(self, ledger: LedgerPort) -> None:
        key = redis_keys.counter_key("bridge:quota:2025")
        held = {"counter_key": key, "counter_fields": "RESERVED|LINK\nRESERVED|ACCOUNT", "counter_held": "6"}
        await ledger.reserve_for_order(order_id="b9", account=BUYER, asset=CNY, amount=500, time=1)
        assert (await ledger.post(Entry(entry_id="hold", kind=EntryKind.HOLD, time=1, records=(
            CreateRecord("{L}:test:held", {"account": BUYER, "asset": CNY, "remaining": "0", **held}),),
            counters=(CounterChange(key, "RESERVED|LINK", 6), CounterChange(key, "RESERVED|ACCOUNT", 6))))).ok

        deliver = CounterChange(key, "LINK", 10, cap=10, code="7151", cap_with=("RESERVED|LINK",))
        assert (await ledger.post(Entry(entry_id="deliver", kind=EntryKind.TRANSFER, time=1, records=(
            DrainRecord("{L}:test:held", BUYER),), counters=(deliver,)))).ok
        assert await ledger.record(key) == {"RESERVED|LINK": "0", "RESERVED|ACCOUNT": "0", "LINK": "10"}

    async def test_holding_limits_configured_or_checked_refuse_a_credit_beyond_them(self, ledger: LedgerPort) -> None:
        await ledger.set_holding_limit(BUYER, BJ_UNIT, 50)
        over = await ledger.transfer(entry_id="t", from_account=SELLER, to_account=BUYER, asset=BJ_UNIT, qty=51,
                                     time=1)
        assert over.code == Code.HOLDING_LIMIT_EXCEEDED
        checked = await ledger.post(Entry(entry_id="x", kind=EntryKind.TRANSFER, time=1, postings=(
            Posting(SELLER, BJ_UNIT, "a", -5), Posting(SEOUL, BJ_UNIT, "a", 5)),
            limits=(LimitCheck(SEOUL, BJ_UNIT, 4),)))
        assert checked.code == Code.HOLDING_LIMIT_EXCEEDED
        assert (await ledger.transfer(entry_id="t2", from_account=SELLER, to_account=BUYER, asset=BJ_UNIT, qty=50,
                                      time=1)).ok

    async def test_offsets_beyond_the_registry_share_of_the_obligation_are_refused(self, ledger: LedgerPort) -> None:
        await ledger.issue(entry_id="off", registry="CN-BJ", unit_class=BJ_OFFSET, qty=100, to_account=SELLER, time=1)
        await ledger.record_emissions(SELLER, period="2025", tonnes=1_000)
        over = await ledger.surrender(entry_id="s", account=SELLER, unit_class=BJ_OFFSET, qty=51, period="2025",
                                      time=2)
        assert over.code == Code.OFFSET_LIMIT_EXCEEDED
        assert (await ledger.surrender(entry_id="s2", account=SELLER, unit_class=BJ_OFFSET, qty=50, period="2025",
                                       time=2)).ok
