"""Specification of the analytical equilibrium solver, anchored on the worked example of domain.md."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonlink.drill.equilibrium import Arc, Entity, Market, solve


def market(key: str, *, slope: Fraction, cut: Fraction) -> Market:
    return Market(key, (Entity(slope=slope, baseline=Fraction(1000), allocation=Fraction(1000) - cut),))


A = market("A", slope=Fraction(2), cut=Fraction(20))
B = market("B", slope=Fraction(1), cut=Fraction(10))


def link(*, cap: Fraction | None = None, rate_b_to_a: Fraction = Fraction(1)) -> list[Arc]:
    return [
        Arc("A>B", "A", "B", rate=1 / rate_b_to_a, cap=cap),
        Arc("B>A", "B", "A", rate=rate_b_to_a, cap=cap),
    ]


def test_autarky_prices_are_required_abatement_over_the_sum_of_inverse_slopes() -> None:
    result = solve([A, B])
    assert (result.markets["A"].price, result.markets["B"].price) == (40, 10)
    assert (result.markets["A"].compliance_cost, result.markets["B"].compliance_cost) == (400, 50)
    assert result.gain == 0 and result.efficiency is None and result.exact


def test_a_full_link_gives_one_price_and_both_markets_gain() -> None:
    result = solve([A, B], link())
    assert result.markets["A"].price == result.markets["B"].price == 20
    assert result.markets["A"].net_import == 10 and result.arcs["B>A"].flow == 10
    assert (result.markets["A"].gain, result.markets["B"].gain) == (100, 50)
    assert result.gain == result.max_gain == 150 and result.efficiency == 1


def test_a_binding_import_cap_keeps_a_price_gap_and_loses_part_of_the_gain() -> None:
    result = solve([A, B], link(cap=Fraction(5)))
    assert (result.markets["A"].price, result.markets["B"].price) == (30, 15)
    assert result.arcs["B>A"].binding and result.arcs["B>A"].flow == 5
    assert result.arcs["B>A"].rent == 75  # (30 - 15) x 5, kept by the importers who buy at B's price
    assert result.gain == Fraction(225, 2) and result.max_gain == 150
    assert result.efficiency == Fraction(3, 4)


def test_a_slack_cap_changes_nothing() -> None:
    assert solve([A, B], link(cap=Fraction(50))).markets["A"].price == 20


def test_a_two_to_one_exchange_rate_means_two_b_units_per_a_unit() -> None:
    result = solve([A, B], link(rate_b_to_a=Fraction(1, 2)))
    assert result.markets["A"].price == Fraction(100, 3)
    assert result.markets["B"].price == Fraction(50, 3)
    assert result.arcs["B>A"].flow == Fraction(20, 3) and result.arcs["B>A"].delivered == Fraction(10, 3)
    assert result.exact


def test_a_one_way_link_against_the_price_gradient_carries_nothing() -> None:
    result = solve([A, B], [Arc("A>B", "A", "B")])
    assert (result.markets["A"].price, result.markets["B"].price) == (40, 10)
    assert result.arcs["A>B"].flow == 0


def test_a_chain_of_full_links_equalises_three_markets() -> None:
    c = market("C", slope=Fraction(1), cut=Fraction(0))
    result = solve([A, B, c], [Arc("A>B", "A", "B"), Arc("B>A", "B", "A"), Arc("C>B", "C", "B")])
    assert {m.price for m in result.markets.values()} == {Fraction(30, 5 / Fraction(2))}
    assert result.exact


def test_a_surplus_market_prices_at_zero() -> None:
    surplus = market("S", slope=Fraction(1), cut=Fraction(-10))
    assert solve([surplus]).markets["S"].price == 0


def test_uncapped_arcs_that_multiply_units_around_a_cycle_are_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        solve([A, B], [Arc("A>B", "A", "B", rate=Fraction(2)), Arc("B>A", "B", "A")])


fractions = st.fractions(min_value=Fraction(1, 4), max_value=Fraction(8), max_denominator=4)


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[Market], list[Arc]]:
    count = draw(st.integers(min_value=2, max_value=4))
    markets = [
        Market(
            f"M{i}",
            tuple(
                Entity(slope=draw(fractions), baseline=Fraction(100), allocation=Fraction(100) - cut)
                for cut in draw(st.lists(st.integers(min_value=-10, max_value=40), min_size=1, max_size=3))
            ),
        )
        for i in range(count)
    ]
    arcs = []
    pairs = [(i, j) for i in range(count) for j in range(count) if i != j]
    for n, (i, j) in enumerate(draw(st.lists(st.sampled_from(pairs), unique=True, max_size=6))):
        cap = draw(st.none() | st.integers(min_value=0, max_value=30).map(Fraction))
        # rates at most 1 never multiply units around a cycle
        rate = draw(st.sampled_from([Fraction(1), Fraction(9, 10), Fraction(1, 2)]))
        arcs.append(Arc(f"arc{n}", f"M{i}", f"M{j}", rate=rate, cap=cap))
    return markets, arcs


@settings(max_examples=150, deadline=None)
@given(networks())
def test_equilibrium_properties_hold_on_random_networks(network: tuple[list[Market], list[Arc]]) -> None:
    markets, arcs = network
    result = solve(markets, arcs)
    assert result.exact
    assert all(outcome.price >= 0 for outcome in result.markets.values())
    assert all(outcome.gain >= 0 for outcome in result.markets.values())
    for arc in arcs:
        outcome = result.arcs[arc.id]
        assert 0 <= outcome.flow and (arc.cap is None or outcome.flow <= arc.cap)
        converted = arc.rate * result.markets[arc.destination].price
        if outcome.flow > 0 and not outcome.binding:
            assert result.markets[arc.origin].price == converted
        if arc.cap is None:
            assert result.markets[arc.origin].price >= converted


@settings(max_examples=60, deadline=None)
@given(networks())
def test_full_links_between_two_markets_reach_the_maximum_gain(network: tuple[list[Market], list[Arc]]) -> None:
    first, second = network[0][:2]
    result = solve([first, second], [Arc("f", first.id, second.id), Arc("b", second.id, first.id)])
    assert result.markets[first.id].price == result.markets[second.id].price
    assert result.gain == result.max_gain
