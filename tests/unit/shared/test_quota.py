"""Pre-trade quota: what a cross-border order reserves of its link's caps, what its fills take, what is left."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.bridge_reasons import ReasonCode
from shared.ledger.entries.quota import fill_to_hold
from shared.quota import (
    CapKind,
    QuotaState,
    QuotaTerms,
    admit,
    fill_share,
    headroom,
    largest_quantity,
    limits,
    reserved_units,
)

CAPPED = QuotaTerms(factor=Fraction(1), period_cap=4_000, account_cap=1_500, obligation_share=Fraction(1, 20))
FACTORS = st.sampled_from([Fraction(1), Fraction(9, 10), Fraction(2), Fraction(1, 3), Fraction(7, 4)])


def test_an_order_fits_when_its_reservation_fits_under_every_cap_counting_deliveries_and_reservations() -> None:
    state = QuotaState(link_delivered=2_000, link_reserved=1_000, account_delivered=200, account_reserved=300,
                       obligation=40_000, obligation_counted=500, obligation_reserved=300)
    assert headroom(CAPPED, state) == (1_000, ReasonCode.PERIOD_CAP_EXCEEDED)
    assert admit(CAPPED, state, 1_000) is None
    assert admit(CAPPED, state, 1_001) is ReasonCode.PERIOD_CAP_EXCEEDED


def test_the_tightest_cap_names_the_refusal_as_the_bridge_would() -> None:
    account_bound = QuotaState(account_delivered=1_400, obligation=100_000)
    assert admit(CAPPED, account_bound, 101) is ReasonCode.ACCOUNT_CAP_EXCEEDED
    share_bound = QuotaState(obligation=10_000, obligation_counted=450)
    assert admit(CAPPED, share_bound, 51) is ReasonCode.OBLIGATION_SHARE_EXCEEDED


def test_an_uncapped_link_admits_any_order_and_still_counts_what_it_reserves() -> None:
    free = QuotaTerms(factor=Fraction(1))
    assert headroom(free, QuotaState()) == (None, None)
    assert admit(free, QuotaState(), 10**9) is None
    assert [(limit.kind, limit.cap) for limit in limits(free, obligation=0)] == [(CapKind.LINK, None)]


def test_the_caps_reserved_on_are_the_link_the_account_and_the_obligation_share() -> None:
    assert [(limit.kind, limit.cap, limit.code) for limit in limits(CAPPED, obligation=10_001)] == [
        (CapKind.LINK, 4_000, ReasonCode.PERIOD_CAP_EXCEEDED),
        (CapKind.ACCOUNT, 1_500, ReasonCode.ACCOUNT_CAP_EXCEEDED),
        (CapKind.OBLIGATION, 500, ReasonCode.OBLIGATION_SHARE_EXCEEDED),
    ]


def test_an_order_reserves_the_gross_units_its_quantity_converts_to() -> None:
    assert reserved_units(1_000, QuotaTerms(factor=Fraction(9, 10))) == 900
    assert reserved_units(7, QuotaTerms(factor=Fraction(1, 3))) == 2
    assert reserved_units(0, CAPPED) == 0


@settings(max_examples=200, deadline=None)
@given(factor=FACTORS, fills=st.lists(st.integers(1, 500), min_size=1, max_size=12), rest=st.integers(0, 500))
def test_the_fills_shares_add_up_to_the_reservation_and_each_covers_its_own_fill(
        factor: Fraction, fills: list[int], rest: int) -> None:
    terms = QuotaTerms(factor=factor)
    quantity = sum(fills) + rest
    filled, taken = 0, 0
    for qty in fills:
        share = fill_share(terms, filled_before=filled, qty=qty)
        assert share >= reserved_units(qty, terms)  # what the fill can deliver, at most its gross
        filled, taken = filled + qty, taken + share
    released_at_the_end = reserved_units(quantity, terms) - taken
    assert released_at_the_end >= 0
    assert taken + released_at_the_end == reserved_units(quantity, terms)
    if rest == 0:
        assert released_at_the_end == 0


@settings(max_examples=200, deadline=None)
@given(cap=st.integers(0, 3_000), factor=FACTORS, orders=st.lists(st.integers(1, 800), max_size=20),
       delivered=st.integers(0, 3_000))
def test_reservations_admitted_one_after_another_never_take_the_counters_past_the_cap(
        cap: int, factor: Fraction, orders: list[int], delivered: int) -> None:
    terms = QuotaTerms(factor=factor, period_cap=cap)
    delivered = min(delivered, cap)
    reserved = 0
    for quantity in orders:
        state = QuotaState(link_delivered=delivered, link_reserved=reserved)
        if admit(terms, state, quantity) is None:
            reserved += reserved_units(quantity, terms)
        assert delivered + reserved <= cap


@settings(max_examples=80, deadline=None)
@given(room=st.integers(0, 5_000), quantity=st.integers(1, 10_000), lot=st.sampled_from([1, 10]), factor=FACTORS)
def test_the_largest_quantity_fits_and_one_lot_more_does_not(room: int, quantity: int, lot: int,
                                                               factor: Fraction) -> None:
    link = QuotaTerms(factor=factor, period_cap=room)
    largest = largest_quantity(link, QuotaState(), quantity=quantity, lot=lot)
    assert largest % lot == 0 and largest <= quantity
    assert admit(link, QuotaState(), largest) is None or largest == 0
    if largest + lot <= quantity:
        assert admit(link, QuotaState(), largest + lot) is not None


def test_a_fill_takes_its_share_into_the_trades_hold_and_never_more_than_its_order_still_holds() -> None:
    record = {"counter_key": "q", "counter_fields": "RESERVED|LINK|x", "counter_held": "10", "quota_factor": "3/2"}
    ops, fields = fill_to_hold(record, key="res", expect={}, filled_before=0, qty=5)
    assert [(op.field, op.delta) for op in ops] == [("counter_held", -7)]  # floor(5 x 1.5)
    assert fields["counter_held"] == "7" and fields["counter_fields"] == "RESERVED|LINK|x"
    ops, fields = fill_to_hold(record | {"counter_held": "4"}, key="res", expect={}, filled_before=0, qty=5)
    assert [(op.field, op.delta) for op in ops] == [("counter_held", -4)]
    assert fill_to_hold({"account": "A/x"}, key="res", expect={}, filled_before=0, qty=5) == ((), {})
