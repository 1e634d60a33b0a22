"""One home for conversion: what the stored terms say each direction converts at is what the bridge applies, and
the smallest quantity worth sending across a link."""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.bridge.agreements import directed_rules
from shared.conversion import conversion_factor, min_delivering_quantity, reverse_rate, split
from shared.reference import LinkageTerms

TERMS = [
    LinkageTerms(id="BJ-KR", kind="UNILATERAL", from_registry="CN-BJ", to_registry="KR", exchange_rate="2",
                 discount="0.05"),
    LinkageTerms(id="BJ-TYO", kind="BILATERAL", from_registry="CN-BJ", to_registry="JP-TYO", exchange_rate="3/2",
                 discount="0.1"),
    LinkageTerms(id="BJ-TYO-AGREED", kind="BILATERAL", from_registry="CN-BJ", to_registry="JP-TYO",
                 exchange_rate="3/2", reverse_exchange_rate="1/2"),
    LinkageTerms(id="PILOTS", kind="MULTILATERAL", members=("CN-BJ", "CN-SH", "CN-GD"), exchange_rate="1",
                 discount="0.02"),
]


@pytest.mark.parametrize("terms", TERMS, ids=[t.id for t in TERMS])
def test_every_direction_converts_at_the_rate_and_factor_the_bridge_applies(terms: LinkageTerms) -> None:
    for rule in directed_rules(terms):
        direction = (rule.from_registry, rule.to_registry)
        assert terms.exchange_rate_for(*direction) == rule.conversion.exchange_rate
        assert terms.conversion_factor_for(*direction) == rule.conversion.factor


def test_the_factor_discounts_the_rate_and_a_bilateral_link_converts_back_at_the_inverse_unless_agreed() -> None:
    assert conversion_factor(Fraction(2), Fraction(1, 20)) == Fraction(19, 10)
    assert reverse_rate(Fraction(3, 2)) == Fraction(2, 3)
    assert reverse_rate(Fraction(3, 2), Fraction(1, 2)) == Fraction(1, 2)
    with pytest.raises(ValueError, match="round trip"):
        reverse_rate(Fraction(3, 2), Fraction(1))


# --- the smallest quantity worth sending ----------------------------------------------------------------------

SHARES = st.fractions(min_value=0, max_value=Fraction(9, 10), max_denominator=100)
FACTORS = st.fractions(min_value=Fraction(1, 20), max_value=5, max_denominator=40).filter(lambda f: f > 0)


def _delivered(q: int, factor: Fraction, sop: Fraction, omge: Fraction) -> int:
    return split(q, factor=factor, share_of_proceeds=sop, cancellation_share=omge).delivered


@settings(max_examples=400, deadline=None)
@given(FACTORS, SHARES, SHARES)
def test_every_quantity_from_the_minimum_on_delivers_and_the_one_before_it_does_not(factor, sop, omge) -> None:
    assume(sop + omge < 1)
    least = min_delivering_quantity(factor=factor, share_of_proceeds=sop, cancellation_share=omge)
    # past gross 2 / (1 - s - c) every quantity delivers (module docstring): checking up to it and beyond covers all
    bound = ceil(ceil(2 / (1 - sop - omge)) / factor) + 20
    assert all(_delivered(q, factor, sop, omge) >= 1 for q in range(least, max(bound, least + 20)))
    if least > 1:
        assert _delivered(least - 1, factor, sop, omge) == 0


def test_delivered_units_are_not_monotone_in_the_quantity_sent_so_the_minimum_is_where_all_larger_ones_deliver() -> None:
    third = Fraction(3, 10)
    assert [_delivered(q, Fraction(1), third, third) for q in (3, 4, 5, 6)] == [1, 0, 1, 2]
    assert min_delivering_quantity(factor=Fraction(1), share_of_proceeds=third, cancellation_share=third) == 5


def test_the_korean_link_of_the_pilot_drill_needs_four_tonnes_to_deliver_one() -> None:
    # 3 t x 0.9 = 2 gross, both levies round up to 1 t: nothing left; 4 t x 0.9 = 3 gross deliver 1
    terms = dict(factor=Fraction(9, 10), share_of_proceeds=Fraction(5, 100), cancellation_share=Fraction(2, 100))
    assert min_delivering_quantity(**terms) == 4
    assert [split(q, **terms).delivered for q in (3, 4)] == [0, 1]


def test_without_levies_or_discount_one_tonne_is_enough() -> None:
    assert min_delivering_quantity(factor=Fraction(1), share_of_proceeds=Fraction(0), cancellation_share=Fraction(0)) == 1
    assert min_delivering_quantity(factor=Fraction(1, 2), share_of_proceeds=Fraction(0), cancellation_share=Fraction(0)) == 2
