"""The band-constrained equilibrium: the benchmark a market's price is judged against when daily price bands keep
some markets from reaching the unconstrained equilibrium within a phase. Pure: standard library only, exact
Fractions.

Model
-----
- Each banded market has a *reach* [lo, hi]: the prices its band lets it reach in the phase (from the close
  before it, a band a day). Markets not named in ``reach`` are unbounded.
- A market whose price lies outside its reach is *clamped*: held at the bound it crossed. Its entities abate as at
  that price (S × bound), so what it needs from the links (R − S × bound; negative: what it offers) is fixed. Its
  flows still respect arc caps and rates, and arbitrage on its arcs holds at its *shadow price*: what one more
  unit is worth to it, which lies beyond the bound (above hi for a market held at limit-up, below lo at
  limit-down). The other markets clear around that fixed quantity, each at its own price.
- This is the minimum total abatement cost with each clamped market's abatement held at S × bound; the set of
  clamped markets is found by clamping the market furthest out of its reach, one at a time, and releasing one
  whose shadow price comes back inside, until no unclamped market lies outside its reach.
- With no band binding it is the unconstrained equilibrium (:func:`carbonlink.drill.equilibrium.solve`).

Method: the solver of ``equilibrium`` with a clamped market's terms replaced by what is left to cover and no
responsiveness; the float search sees a steep stand-in (responsiveness S × stiffness) to find the regime, which
is then solved and verified exactly with responsiveness 0. A clamped market no arbitraging arc joins to an
unclamped one has no shadow price the balance fixes (a market cut off at limit-up leaves buyers short); its
solution is the float search's rounded, and ``exact`` is False.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from carbonlink.drill.equilibrium import solve
from carbonlink.drill.equilibrium_circulations import without_circulations
from carbonlink.drill.equilibrium_exact import exact_solution
from carbonlink.drill.equilibrium_model import Arc, Equilibrium, Market, Terms
from carbonlink.drill.equilibrium_outcome import outcome
from carbonlink.drill.equilibrium_search import approximate_flows, rounded_solution

Reach = tuple[Fraction, Fraction]

_STIFFNESS = (Fraction(1, 10**3), Fraction(1, 10**6))


@dataclass(frozen=True)
class BandedEquilibrium:
    """The band-constrained equilibrium; ``equilibrium``'s price of a clamped market is its bound."""

    equilibrium: Equilibrium
    clamped: dict[str, Fraction]  # market → the bound of its reach it is held at
    shadow: dict[str, Fraction]  # clamped market → what one more unit is worth to it (arbitrage holds at it)


@dataclass(frozen=True)
class _Left:
    """A clamped market's terms: what is left to cover once it abates its fixed amount, and its responsiveness."""

    required: Fraction
    responsiveness: Fraction


def solve_within_reach(markets: Sequence[Market], arcs: Sequence[Arc], reach: Mapping[str, Reach]) -> BandedEquilibrium:
    """The equilibrium of ``markets`` joined by ``arcs`` with each market in ``reach`` held within [lo, hi]."""
    free = solve(markets, arcs)  # validates the problem
    by_id = {market.id: market for market in markets}
    for key, (low, high) in reach.items():
        if key not in by_id or low > high:
            raise ValueError(f"reach of {key}: unknown market or lo above hi")
    prices = {key: market.price for key, market in free.markets.items()}
    flows = [free.arcs[arc.id].flow for arc in arcs]
    exact = free.exact
    clamped: dict[str, Fraction] = {}
    for _ in range(2 * len(markets) + 2):
        released = [key for key, bound in clamped.items() if _back_inside(prices[key], bound, reach[key])]
        if released:
            del clamped[released[0]]
        else:
            out = {key: price for key, price in prices.items() if key in reach and key not in clamped
                   and not reach[key][0] <= price <= reach[key][1]}
            if not out:
                break
            furthest = max(out, key=lambda key: _distance(out[key], reach[key]))
            low, high = reach[furthest]
            clamped[furthest] = high if out[furthest] > high else low
        prices, flows, exact = _solve_clamped(by_id, arcs, clamped)
    reported = {key: clamped.get(key, price) for key, price in prices.items()}
    return BandedEquilibrium(
        equilibrium=outcome(by_id, arcs, reported, flows, exact=exact),
        clamped=dict(clamped),
        shadow={key: prices[key] for key in clamped},
    )


def _back_inside(shadow: Fraction, bound: Fraction, reach: Reach) -> bool:
    """A market held at hi whose shadow price fell below hi (or at lo, rose above lo) needs no holding."""
    low, high = reach
    return shadow < high if bound == high else shadow > low


def _distance(price: Fraction, reach: Reach) -> Fraction:
    """How far outside its reach a price lies, relative to the bound it crossed."""
    low, high = reach
    if price > high:
        return (price - high) / high if high > 0 else price
    return (low - price) / low


def _solve_clamped(
    markets: dict[str, Market], arcs: Sequence[Arc], clamped: dict[str, Fraction]
) -> tuple[dict[str, Fraction], list[Fraction], bool]:
    """Prices (shadow prices for clamped markets), flows and exactness with each clamped market's abatement fixed."""
    left: dict[str, Terms] = {
        key: _Left(market.required - market.responsiveness * clamped[key], Fraction(0)) if key in clamped else market
        for key, market in markets.items()
    }
    searched: dict[str, Terms] = dict(left)
    for stiffness in _STIFFNESS:
        for key in clamped:
            searched[key] = _Left(left[key].required, markets[key].responsiveness * stiffness)
        approximate = approximate_flows(searched, arcs)
        solution = exact_solution(left, arcs, approximate, searched)
        if solution is not None:
            prices, flows = solution
            return prices, without_circulations(arcs, flows), True
        if not clamped:
            break
    prices, flows = rounded_solution(searched, arcs, approximate)
    return prices, flows, False
