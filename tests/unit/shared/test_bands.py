"""Band arithmetic: the static band around a reference, and a band narrowed towards an override's range."""

from __future__ import annotations

from fractions import Fraction

from shared.bands import band_limits, narrow


def test_the_static_band_is_the_integer_prices_within_its_fraction_of_the_reference():
    assert band_limits(Fraction(1, 10), 5005) == (4505, 5505)
    assert band_limits(None, 5000) is None
    assert band_limits(Fraction(1, 10), None) is None


def test_an_override_moves_each_limit_inside_its_range_and_never_widens_the_band():
    assert narrow((4500, 5500), (4000, 5200)) == (4500, 5200)
    assert narrow((4500, 5500), (4800, 5200)) == (4800, 5200)
    assert narrow((4500, 5500), (1000, 9000)) == (4500, 5500)


def test_a_band_wholly_outside_the_override_keeps_only_its_limit_nearest_to_it():
    assert narrow((4500, 5500), (2000, 4000)) == (4500, 4500)
    assert narrow((4500, 5500), (6000, 9000)) == (5500, 5500)


def test_without_an_override_the_band_stands_and_without_a_band_the_override_is_the_band():
    assert narrow((4500, 5500), None) == (4500, 5500)
    assert narrow(None, (2000, 4000)) == (2000, 4000)
    assert narrow(None, None) is None
