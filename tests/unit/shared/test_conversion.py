"""One home for conversion: what the stored terms say each direction converts at is what the bridge applies."""

from __future__ import annotations

from fractions import Fraction

import pytest

from services.bridge.agreements import directed_rules
from shared.conversion import conversion_factor, reverse_rate
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
