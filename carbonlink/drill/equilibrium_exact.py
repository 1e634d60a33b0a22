"""The exact solution of the regime the float search found: which arcs are idle, at their cap or arbitraging,
which markets price at zero; prices and flows from the regime's optimality conditions in Fractions, then
verified exactly (None when they do not hold). Standard library only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from carbonlink.drill.equilibrium_model import Arc, Terms, net_imports

_REGIME_TOLERANCE = 1e-8


def exact_solution(
    markets: Mapping[str, Terms],
    arcs: Sequence[Arc],
    approximate: list[float],
    searched: Mapping[str, Terms] | None = None,
) -> tuple[dict[str, Fraction], list[Fraction]] | None:
    """Solve the regime the float search found, exactly; None if it does not verify.

    ``searched``: the markets as the float search saw them, when they differ from ``markets`` (a market whose
    abatement is fixed has responsiveness 0 here and a steep stand-in there); the regime's zero prices are
    read from them."""
    searched = markets if searched is None else searched
    flow_scale = 1.0 + sum(abs(float(market.required)) for market in markets.values())
    fixed: dict[int, Fraction] = {}
    for index, (arc, flow) in enumerate(zip(arcs, approximate)):
        if flow <= _REGIME_TOLERANCE * flow_scale:
            fixed[index] = Fraction(0)
        elif arc.cap is not None and flow >= float(arc.cap) - _REGIME_TOLERANCE * flow_scale:
            fixed[index] = Fraction(arc.cap)
    interior = [index for index in range(len(arcs)) if index not in fixed]
    fixed_import = dict.fromkeys(markets, Fraction(0))
    for index, flow in fixed.items():
        fixed_import[arcs[index].origin] -= flow
        fixed_import[arcs[index].destination] += arcs[index].rate * flow
    approximate_import = dict.fromkeys(markets, 0.0)
    for arc, flow in zip(arcs, approximate):
        approximate_import[arc.origin] -= flow
        approximate_import[arc.destination] += float(arc.rate) * flow
    price_scale = 1.0 + max(abs(float(m.required / m.responsiveness)) for m in searched.values())
    zero_priced = {
        key
        for key, market in searched.items()
        if (float(market.required) - approximate_import[key]) / float(market.responsiveness)
        <= _REGIME_TOLERANCE * price_scale
    }

    # Arbitraging arcs tie prices together: p_origin = rate × p_destination, so within a component
    # p = λ × weight. The value-weighted balance Σ w (R − S λ w − fixed imports) = 0 gives λ,
    # because arbitraging flows cancel in it.
    weights: dict[str, Fraction] = {}
    prices: dict[str, Fraction] = {}
    flows: list[Fraction | None] = [fixed.get(index) for index in range(len(arcs))]
    for root in markets:
        if root in weights:
            continue
        weights[root] = Fraction(1)
        component, frontier = [root], [root]
        while frontier:
            here = frontier.pop()
            for index in interior:
                arc = arcs[index]
                if here == arc.destination:
                    there, weight = arc.origin, weights[here] * arc.rate
                elif here == arc.origin:
                    there, weight = arc.destination, weights[here] / arc.rate
                else:
                    continue
                if there not in weights:
                    weights[there] = weight
                    component.append(there)
                    frontier.append(there)
                elif weights[there] != weight:
                    return None
        level = Fraction(0)
        if not zero_priced.intersection(component):
            numerator = sum(weights[m] * (markets[m].required - fixed_import[m]) for m in component)
            denominator = sum(markets[m].responsiveness * weights[m] ** 2 for m in component)
            if denominator == 0:
                return None
            level = numerator / denominator
            if level <= 0:
                return None
        for member in component:
            prices[member] = level * weights[member]
        members = set(component)
        # Largest flows first, so that where routes are redundant (loops, parallel arcs) the
        # smallest flows are the free unknowns, which keep their (rounded) float values.
        unknowns = sorted(
            (index for index in interior if arcs[index].origin in members), key=lambda index: -approximate[index]
        )
        if level > 0:
            equations = [
                (
                    {index: _coefficient(arcs[index], member) for index in unknowns},
                    markets[member].required - markets[member].responsiveness * prices[member] - fixed_import[member],
                )
                for member in component
            ]
            guesses = {index: Fraction(approximate[index]).limit_denominator(10**6) for index in unknowns}
            solved = _solve_linear(equations, unknowns, guesses)
            if solved is None:
                return None
            for index, value in solved.items():
                flows[index] = value
        else:
            for index in unknowns:
                flows[index] = Fraction(approximate[index]).limit_denominator(10**6)
    exact_flows = [flow if flow is not None else Fraction(0) for flow in flows]
    if not _is_equilibrium(markets, arcs, prices, exact_flows):
        return None
    return prices, exact_flows


def _coefficient(arc: Arc, market: str) -> Fraction:
    if market == arc.destination:
        return arc.rate
    if market == arc.origin:
        return Fraction(-1)
    return Fraction(0)


def _solve_linear(
    equations: list[tuple[dict[int, Fraction], Fraction]], unknowns: list[int], guesses: dict[int, Fraction]
) -> dict[int, Fraction] | None:
    """One solution of a linear system (free unknowns take their guesses), or None if it is inconsistent."""
    rows = [[row.get(index, Fraction(0)) for index in unknowns] + [value] for row, value in equations]
    pivots: list[int] = []
    rank = 0
    for column in range(len(unknowns)):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        lead = rows[rank][column]
        rows[rank] = [value / lead for value in rows[rank]]
        for r in range(len(rows)):
            if r != rank and rows[r][column] != 0:
                factor = rows[r][column]
                rows[r] = [value - factor * top for value, top in zip(rows[r], rows[rank])]
        pivots.append(column)
        rank += 1
    if any(row[-1] != 0 for row in rows[rank:]):
        return None
    free = [column for column in range(len(unknowns)) if column not in pivots]
    solution = {unknowns[column]: guesses[unknowns[column]] for column in free}
    for r, column in enumerate(pivots):
        solution[unknowns[column]] = rows[r][-1] - sum(rows[r][f] * guesses[unknowns[f]] for f in free)
    return solution


def _is_equilibrium(
    markets: Mapping[str, Terms], arcs: Sequence[Arc], prices: dict[str, Fraction], flows: list[Fraction]
) -> bool:
    imported = net_imports(markets, arcs, flows)
    for key, market in markets.items():
        price = prices[key]
        covered = market.responsiveness * price + imported[key]
        if price < 0 or covered < market.required or (price > 0 and covered != market.required):
            return False
    for arc, flow in zip(arcs, flows):
        gap = arc.rate * prices[arc.destination] - prices[arc.origin]
        at_cap = arc.cap is not None and flow == arc.cap
        if flow < 0 or (arc.cap is not None and flow > arc.cap):
            return False
        if (flow > 0 and gap < 0) or (not at_cap and gap > 0):
            return False
    return True
