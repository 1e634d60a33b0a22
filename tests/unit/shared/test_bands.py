"""Band arithmetic: the static band around a reference, a band narrowed towards an override's range, and two
overrides combined into the one in force."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from shared.bands import band_limits, intersect, narrow


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


def test_a_second_override_intersects_the_one_held_taking_the_narrower_limit_of_each_side():
    assert intersect((4000, 5200), (4500, 6000)) == ((4500, 5200), False)
    assert intersect((4000, 5200), (4200, 5000)) == ((4200, 5000), False)
    assert intersect((4000, 5200), (1000, 9000)) == ((4000, 5200), False)
    assert intersect((4000, 5200), (5200, 6000)) == ((5200, 5200), False)


def test_the_first_override_is_held_as_it_is():
    assert intersect(None, (4000, 5200), pin="LOW") == ((4000, 5200), False)


def test_overrides_with_no_price_in_common_pin_at_the_breached_limit_and_say_so():
    assert intersect((4000, 5200), (6000, 7000), pin="LOW") == ((6000, 6000), True)
    assert intersect((4000, 5200), (6000, 7000), pin="HIGH") == ((7000, 7000), True)
    assert intersect((6000, 7000), (4000, 5200), pin="HIGH") == ((5200, 5200), True)


def test_without_a_breached_side_the_pin_is_the_added_limit_nearest_to_the_held_range():
    assert intersect((4000, 5200), (6000, 7000)) == ((6000, 6000), True)
    assert intersect((6000, 7000), (4000, 5200)) == ((5200, 5200), True)


RANGES = st.tuples(st.integers(1, 10_000), st.integers(0, 10_000)).map(lambda r: (r[0], r[0] + r[1]))
PINS = st.sampled_from([None, "LOW", "HIGH"])


@given(held=RANGES, added=RANGES, pin=PINS)
def test_the_override_in_force_is_never_inverted_and_never_leaves_the_added_range(held, added, pin):
    (low, high), pinned = intersect(held, added, pin=pin)
    assert added[0] <= low <= high <= added[1]
    overlap = max(held[0], added[0]) <= min(held[1], added[1])
    assert pinned is not overlap
    if overlap:
        assert held[0] <= low and high <= held[1]
        assert any(low == r[0] for r in (held, added)) and any(high == r[1] for r in (held, added))
    else:
        assert low == high and low in added


@st.composite
def around_one_price(draw) -> list[tuple[int, int]]:
    """Three ranges that all hold one price."""
    price = draw(st.integers(5_001, 10_000))
    return [(price - draw(st.integers(0, 5_000)), price + draw(st.integers(0, 5_000))) for _ in range(3)]


@given(ranges=around_one_price())
def test_overrides_with_a_price_in_common_combine_in_any_order_to_the_same_range(ranges):
    first, second, third = ranges
    one, _ = intersect(intersect(first, second)[0], third)
    other, _ = intersect(intersect(third, first)[0], second)
    assert one == other == (max(first[0], second[0], third[0]), min(first[1], second[1], third[1]))


@given(held=RANGES, pin=PINS)
def test_the_same_override_twice_changes_nothing(held, pin):
    assert intersect(held, held, pin=pin) == (held, False)
