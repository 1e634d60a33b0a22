"""Specification of the band-constrained equilibrium: hand-worked two- and three-market examples (the worked
example of domain.md unchanged when no band binds) and properties on random networks."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from carbonlink.drill.equilibrium import Arc, Market, solve
from carbonlink.drill.equilibrium_bands import solve_within_reach
from tests.unit.drill.test_equilibrium import A, B, link, market, networks

WIDE = (Fraction(0), Fraction(1000))


def test_the_worked_example_is_unchanged_when_no_band_binds() -> None:
    banded = solve_within_reach([A, B], link(rate_b_to_a=Fraction(1, 2)), {"A": WIDE, "B": WIDE})
    free = solve([A, B], link(rate_b_to_a=Fraction(1, 2)))
    assert banded.equilibrium == free and banded.clamped == {} and banded.shadow == {}
    assert banded.equilibrium.markets["A"].price == Fraction(100, 3)


def test_an_exporter_held_at_limit_up_supplies_less_and_the_importer_clears_higher() -> None:
    # Free: one price, 20. B may reach only 15: it abates 15 (S = 1), exports 5; A (S = 1/2, R = 20) imports 5,
    # abates 15, so its price is 30 - the same as a cap of 5 on the link. B's units are worth 30 to A.
    banded = solve_within_reach([A, B], link(), {"B": (Fraction(9), Fraction(15))})
    prices = {key: m.price for key, m in banded.equilibrium.markets.items()}
    assert prices == {"A": 30, "B": 15}
    assert banded.clamped == {"B": 15} and banded.shadow == {"B": 30}
    assert banded.equilibrium.arcs["B>A"].flow == 5 and banded.equilibrium.markets["B"].abatement == 15
    assert banded.equilibrium.exact


def test_an_importer_held_at_limit_down_buys_less_and_the_exporter_clears_lower() -> None:
    # Free: 20. A may fall only to 25: it abates 25/2, imports 15/2; B exports 15/2, abates 35/2 (its price).
    banded = solve_within_reach([A, B], link(), {"A": (Fraction(25), Fraction(50)), "B": (Fraction(0), Fraction(99))})
    prices = {key: m.price for key, m in banded.equilibrium.markets.items()}
    assert prices == {"A": 25, "B": Fraction(35, 2)}
    assert banded.clamped == {"A": 25} and banded.shadow == {"A": Fraction(35, 2)}
    assert banded.equilibrium.markets["A"].net_import == Fraction(15, 2)


def test_a_held_market_in_a_chain_shifts_what_it_withholds_onto_the_others() -> None:
    # Free: all three at 30 / (5/2) = 12. C (R = 0, S = 1) may reach only 6: it exports 6, and A and B
    # (R = 30 - 6 = 24, S = 3/2) clear at 16; arbitrage on C>B holds at C's shadow price 16.
    c = market("C", slope=Fraction(1), cut=Fraction(0))
    arcs = [Arc("A>B", "A", "B"), Arc("B>A", "B", "A"), Arc("C>B", "C", "B")]
    banded = solve_within_reach([A, B, c], arcs, {"C": (Fraction(0), Fraction(6))})
    prices = {key: m.price for key, m in banded.equilibrium.markets.items()}
    assert prices == {"A": 16, "B": 16, "C": 6}
    assert banded.shadow == {"C": 16} and banded.equilibrium.arcs["C>B"].flow == 6
    assert banded.equilibrium.exact


def test_a_held_exporter_still_respects_its_arc_cap() -> None:
    # A cap of 3 binds before the band does: B at 13 (in reach), A at 34; nothing is held.
    banded = solve_within_reach([A, B], link(cap=Fraction(3)), {"B": (Fraction(9), Fraction(15))})
    assert banded.clamped == {} and banded.equilibrium.arcs["B>A"].flow == 3
    assert banded.equilibrium.markets["B"].price == 13 and banded.equilibrium.markets["A"].price == 34


def test_a_market_cut_off_at_limit_up_is_held_at_its_bound() -> None:
    banded = solve_within_reach([A], (), {"A": (Fraction(0), Fraction(30))})
    assert banded.equilibrium.markets["A"].price == 30 and banded.clamped == {"A": 30}


@st.composite
def banded_networks(draw: st.DrawFn) -> tuple[list[Market], list[Arc], dict[str, tuple[Fraction, Fraction]]]:
    markets, arcs = draw(networks())
    reach = {}
    for m in markets:
        if draw(st.booleans()):
            low = draw(st.integers(min_value=0, max_value=60).map(Fraction))
            reach[m.id] = (low, low + draw(st.integers(min_value=1, max_value=60)))
    return markets, arcs, reach


@settings(max_examples=100, deadline=None)
@given(networks())
def test_with_no_band_binding_it_is_the_unconstrained_equilibrium(network: tuple[list[Market], list[Arc]]) -> None:
    markets, arcs = network
    free = solve(markets, arcs)
    reach = {key: (m.price / 2, m.price * 2 + 1) for key, m in free.markets.items()}
    banded = solve_within_reach(markets, arcs, reach)
    assert banded.clamped == {}
    assert {k: m.price for k, m in banded.equilibrium.markets.items()} == {k: m.price for k, m in free.markets.items()}


@settings(max_examples=100, deadline=None)
@given(banded_networks())
def test_held_prices_lie_at_their_bounds_and_the_others_within_reach(
    network: tuple[list[Market], list[Arc], dict[str, tuple[Fraction, Fraction]]],
) -> None:
    markets, arcs, reach = network
    banded = solve_within_reach(markets, arcs, reach)
    result = banded.equilibrium
    for key, bound in banded.clamped.items():
        assert result.markets[key].price == bound and bound in reach[key]
        low, high = reach[key]
        assert banded.shadow[key] >= high if bound == high else banded.shadow[key] <= low
    for key, (low, high) in reach.items():
        assert low <= result.markets[key].price <= high
    for arc in arcs:
        flow = result.arcs[arc.id].flow
        assert 0 <= flow and (arc.cap is None or flow <= arc.cap)
