"""Conversion, levies and the remainder: exact fractions, delivered rounded down, nothing created or lost."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.bridge.rules import Approved, Conversion, Levies, UnitType, evaluate, split_quantity

from .builders import agreement, request, usage

SOP_5_OMGE_2 = Levies(share_of_proceeds=Fraction(5, 100), cancellation_share=Fraction(2, 100))


def test_a_two_to_one_exchange_rate_delivers_two_units_per_unit_sent() -> None:
    split = split_quantity(1_000, conversion=Conversion(exchange_rate=Fraction(2)), levies=Levies())
    assert (split.gross, split.delivered, split.consumed, split.remainder) == (2_000, 2_000, 1_000, 0)


def test_a_one_to_two_exchange_rate_returns_the_odd_unit_to_the_seller() -> None:
    split = split_quantity(1_001, conversion=Conversion(exchange_rate=Fraction(1, 2)), levies=Levies())
    assert (split.delivered, split.consumed, split.remainder, split.residue) == (500, 1_000, 1, 0)


def test_a_discount_applies_after_the_exchange_rate_and_rounds_delivered_down() -> None:
    conversion = Conversion(exchange_rate=Fraction(2), discount=Fraction(5, 100))
    split = split_quantity(15, conversion=conversion, levies=Levies())
    # 15 x 2 x 0.95 = 28.5: 28 delivered, all 15 consumed, half a unit never created
    assert (split.gross, split.delivered, split.consumed, split.remainder) == (28, 28, 15, 0)
    assert split.residue == Fraction(1, 2)


def test_five_percent_share_of_proceeds_then_two_percent_cancellation_of_the_gross() -> None:
    split = split_quantity(1_000, conversion=Conversion(exchange_rate=Fraction(2)), levies=SOP_5_OMGE_2)
    assert (split.gross, split.levy, split.cancelled, split.delivered) == (2_000, 100, 40, 1_860)


def test_levies_round_up_so_that_splitting_a_trade_cannot_escape_them() -> None:
    split = split_quantity(19, conversion=Conversion(), levies=SOP_5_OMGE_2)
    assert (split.levy, split.cancelled, split.delivered) == (1, 1, 17)


def test_the_cancellation_takes_only_what_the_levy_left() -> None:
    split = split_quantity(1, conversion=Conversion(), levies=SOP_5_OMGE_2)
    assert (split.levy, split.cancelled, split.delivered) == (1, 0, 0)


def test_an_approval_reports_the_converted_class_like_a_korean_kcu() -> None:
    link = agreement(conversion=Conversion(delivered_type=UnitType.CONVERTED), levies=SOP_5_OMGE_2)
    decision = evaluate(request(quantity=1_000), link, usage())
    assert isinstance(decision, Approved)
    assert decision.delivered_class.unit_type is UnitType.CONVERTED
    assert decision.delivered_class.origin == decision.sent_class.origin == "CN-BJ"
    assert decision.delivered_class.vintage == 2025
    assert (decision.quantities.delivered, decision.quantities.levy, decision.quantities.cancelled) == (930, 50, 20)
    assert (decision.levy_account, decision.cancellation_account) == ("KR/LEVY", "KR/CANCELLATION")


def test_the_delivered_type_is_unchanged_unless_the_agreement_names_one() -> None:
    decision = evaluate(request(), agreement(), usage())
    assert isinstance(decision, Approved)
    assert decision.delivered_class == decision.sent_class


@pytest.mark.parametrize(
    "build",
    [
        lambda: Conversion(exchange_rate=Fraction(0)),
        lambda: Conversion(discount=Fraction(1)),
        lambda: Levies(share_of_proceeds=Fraction(98, 100), cancellation_share=Fraction(2, 100)),
        lambda: Levies(share_of_proceeds=Fraction(-1, 100)),
    ],
    ids=["zero exchange rate", "full discount", "levies take everything", "negative levy"],
)
def test_rates_that_cannot_deliver_anything_are_rejected(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()


def test_float_rates_are_rejected_because_they_are_not_exact() -> None:
    with pytest.raises(TypeError):
        Conversion(exchange_rate=0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Levies(share_of_proceeds=0.05)  # type: ignore[arg-type]


fractions = st.fractions(min_value=Fraction(1, 20), max_value=Fraction(20), max_denominator=1_000)
shares = st.fractions(min_value=0, max_value=Fraction(45, 100), max_denominator=1_000)


@settings(max_examples=300, deadline=None)
@given(
    sent=st.integers(min_value=1, max_value=10_000_000),
    rate=fractions,
    discount=st.fractions(min_value=0, max_value=Fraction(99, 100), max_denominator=1_000),
    sop=shares,
    omge=shares,
)
def test_units_are_conserved_exactly_in_receiving_units(
    sent: int, rate: Fraction, discount: Fraction, sop: Fraction, omge: Fraction
) -> None:
    conversion = Conversion(exchange_rate=rate, discount=discount)
    split = split_quantity(sent, conversion=conversion, levies=Levies(share_of_proceeds=sop, cancellation_share=omge))
    factor = conversion.factor
    assert sent * factor == split.delivered + split.levy + split.cancelled + split.residue + split.remainder * factor
    assert split.sent == split.consumed + split.remainder
    assert split.gross == split.delivered + split.levy + split.cancelled
    assert 0 <= split.residue < 1
    assert min(split.delivered, split.levy, split.cancelled, split.consumed, split.remainder) >= 0
    assert split.gross == sent * factor // 1  # delivered before levies is floor(q x r x (1 - d))
    assert split.delivered <= split.gross * (1 - sop - omge)  # delivered rounds down
    assert split.levy >= split.gross * sop
    assert split.cancelled >= split.gross * omge or split.delivered == 0
    # the seller gives up no whole unit it did not need
    assert split.consumed == 0 or (split.consumed - 1) * factor < split.gross
