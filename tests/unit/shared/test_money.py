"""Decimal strings at the edge become exact integers in minor units; fractions never pass through floats."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.money import AmountError, format_fraction, from_minor, parse_fraction, to_minor


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("52.30", "CNY", 5230), ("52.3", "CNY", 5230), ("0.01", "CNY", 1), ("1200", "JPY", 1200), ("15000", "KRW", 15000),
])
def test_decimal_strings_become_minor_units(text: str, currency: str, minor: int) -> None:
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize(("text", "currency"), [
    ("52.305", "CNY"), ("1.5", "JPY"), ("abc", "CNY"), ("NaN", "CNY"), ("Infinity", "CNY"), ("", "CNY"), ("1", "XXX"),
])
def test_invalid_amounts_are_refused(text: str, currency: str) -> None:
    with pytest.raises(AmountError):
        to_minor(text, currency)


@given(st.integers(min_value=-10**15, max_value=10**15), st.sampled_from(["CNY", "JPY", "KRW", "EUR"]))
def test_minor_units_round_trip(minor: int, currency: str) -> None:
    assert to_minor(from_minor(minor, currency), currency) == minor


def test_fractions_parse_exactly() -> None:
    assert parse_fraction("1/10") == Fraction(1, 10)
    assert parse_fraction("0.05") == Fraction(1, 20)
    assert parse_fraction(2) == 2
    assert format_fraction(Fraction(1, 20)) == "1/20"
    with pytest.raises(AmountError):
        parse_fraction("1/0")
