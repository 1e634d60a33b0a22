"""Pre-trade quota headroom: what a cross-border order may still reserve of its link's caps."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from services.bridge.rules import Conversion, Levies, QuantityLimits, ReasonCode
from services.bridge.rules.headroom import QuotaState, admit, credited_at_most, headroom, largest_quantity

from .builders import agreement

CAPPED = agreement(limits=QuantityLimits(period_cap=4_000, account_period_cap=1_500, obligation_share=Fraction(1, 20)))


def test_an_order_fits_when_its_credited_units_fit_under_every_cap_counting_deliveries_and_reservations() -> None:
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


def test_an_uncapped_link_admits_any_order() -> None:
    assert headroom(agreement(), QuotaState()) == (None, None)
    assert admit(agreement(), QuotaState(), 10**9) is None


def test_credited_units_are_the_delivered_units_after_conversion_and_levies() -> None:
    korea = agreement(conversion=Conversion(exchange_rate=Fraction(1), discount=Fraction(1, 10)),
                      levies=Levies(share_of_proceeds=Fraction(5, 100), cancellation_share=Fraction(2, 100)))
    assert credited_at_most(1_000, korea) == 900 - 45 - 18
    assert credited_at_most(0, korea) == 0


@settings(max_examples=80, deadline=None)
@given(room=st.integers(0, 5_000), quantity=st.integers(1, 10_000), lot=st.sampled_from([1, 10]),
       discount=st.sampled_from([Fraction(0), Fraction(1, 10), Fraction(1, 3)]))
def test_the_largest_quantity_fits_and_one_lot_more_does_not(room: int, quantity: int, lot: int,
                                                               discount: Fraction) -> None:
    link = agreement(limits=QuantityLimits(period_cap=room), conversion=Conversion(discount=discount))
    largest = largest_quantity(link, QuotaState(), quantity=quantity, lot=lot)
    assert largest % lot == 0 and largest <= quantity
    assert admit(link, QuotaState(), largest) is None or largest == 0
    if largest + lot <= quantity:
        assert admit(link, QuotaState(), largest + lot) is not None
