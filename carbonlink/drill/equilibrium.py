"""Analytical equilibrium of linked emission markets with linear marginal abatement costs.

The benchmark a drill's simulated prices are compared with. Pure: standard library only, exact Fractions.

Model
-----
- A compliance entity with MAC slope c abates ``a = p / c`` tonnes at price p; its abatement cost is
  ``c a² / 2``. A market's *required abatement* is R = Σ(baseline − allocation) and its responsiveness
  S = Σ 1/c, so its autarky price is ``max(0, R / S)`` (a surplus market prices at zero: units are
  simply left unused) and its abatement cost at price p is ``S p² / 2``. Abatement beyond an entity's
  baseline is not ruled out: the curves are taken as linear over the whole range.
- An :class:`Arc` is one direction of a link: units leave ``origin`` and each counts as ``rate``
  units in ``destination``. ``rate`` folds the exchange rate, discount, levy (share of proceeds) and
  cancellation share together. ``cap`` bounds the flow in origin tonnes. A bilateral link is two arcs.
- Convention for exchange rates, checked against the worked example of ../shared/domain.md: "2:1"
  means two units of the exporting market B are needed per unit of A, i.e. the arc B→A has rate 1/2.
  Arbitrage on an arc with positive flow below its cap gives ``p_origin = rate × p_destination``
  (so p_A = 2 p_B: 100/3 and 50/3). A full link at rate 1 gives one price.
- Equilibrium minimises total abatement cost over flows (a convex problem whose optimality
  conditions are exactly the arbitrage conditions above; a binding cap leaves a price gap, the
  scarcity rent ``flow × (rate × p_destination − p_origin)``). Prices are unique; flows may not be
  (parallel routes), in which case one optimal set is returned.
- Money: cross-border units are paid at the exporting market's price, so a binding cap's scarcity
  rent goes to the importers. A market's compliance cost is its abatement cost plus its net purchase
  cost; its gain is autarky cost minus compliance cost (never negative in equilibrium).

Method: Gauss-Seidel on arc flows (each step minimises exactly along one arc) in floating point
finds the regime (which arcs are idle, at their cap or arbitraging, which markets price at zero);
the regime's optimality conditions are then solved exactly in Fractions and verified exactly. If
the verification fails (a degenerate case the float search could not settle), the float flows are
rounded to Fractions, prices follow exactly from them, and the result says ``exact=False``.

Modules: the terms in ``equilibrium_model``, the float search and its rounded fallback in
``equilibrium_search``, the exact regime solution in ``equilibrium_exact``, circulations in
``equilibrium_circulations``, the money in ``equilibrium_outcome``; this module solves and re-exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from carbonlink.drill.equilibrium_circulations import without_circulations
from carbonlink.drill.equilibrium_exact import exact_solution
from carbonlink.drill.equilibrium_model import Arc, ArcOutcome, Entity, Equilibrium, Market, MarketOutcome
from carbonlink.drill.equilibrium_outcome import outcome
from carbonlink.drill.equilibrium_search import approximate_flows, rounded_solution

__all__ = [
    "Arc",
    "ArcOutcome",
    "Entity",
    "Equilibrium",
    "Market",
    "MarketOutcome",
    "solve",
]


def solve(markets: Sequence[Market], arcs: Sequence[Arc] = ()) -> Equilibrium:
    """The equilibrium of ``markets`` joined by ``arcs`` (no arcs: autarky)."""
    by_id = {market.id: market for market in markets}
    if len(by_id) != len(markets):
        raise ValueError("duplicate market id")
    if len({arc.id for arc in arcs}) != len(arcs):
        raise ValueError("duplicate arc id")
    for arc in arcs:
        if arc.origin not in by_id or arc.destination not in by_id:
            raise ValueError(f"arc {arc.id} joins an unknown market")
    _refuse_unit_pumps(by_id, arcs)
    approximate = approximate_flows(by_id, arcs)
    solution = exact_solution(by_id, arcs, approximate)
    exact = solution is not None
    if solution is None:
        solution = rounded_solution(by_id, arcs, approximate)
    prices, flows = solution
    if exact:
        flows = without_circulations(arcs, flows)
    return outcome(by_id, arcs, prices, flows, exact=exact)


def _refuse_unit_pumps(markets: dict[str, Market], arcs: Sequence[Arc]) -> None:
    """Uncapped arcs around a cycle whose rates multiply above 1 would create units without bound."""
    ids = list(markets)
    best: dict[tuple[str, str], Fraction] = {}
    for arc in arcs:
        if arc.cap is None:
            key = (arc.origin, arc.destination)
            best[key] = max(best.get(key, Fraction(0)), arc.rate)
    for k in ids:
        for i in ids:
            for j in ids:
                through = best.get((i, k), Fraction(0)) * best.get((k, j), Fraction(0))
                if through > best.get((i, j), Fraction(0)):
                    best[(i, j)] = through
    for i in ids:
        if best.get((i, i), Fraction(0)) > 1:
            raise ValueError(f"uncapped arcs through {i} multiply units around a cycle")
