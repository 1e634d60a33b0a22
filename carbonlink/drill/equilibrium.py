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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "Arc",
    "ArcOutcome",
    "Entity",
    "Equilibrium",
    "Market",
    "MarketOutcome",
    "solve",
]

_SWEEPS = 20_000
_TOLERANCE = 1e-13
_REGIME_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Entity:
    """A compliance entity: MAC slope (money per tonne per tonne), baseline emissions and free allocation."""

    slope: Fraction
    baseline: Fraction
    allocation: Fraction

    @property
    def required(self) -> Fraction:
        return Fraction(self.baseline) - Fraction(self.allocation)


@dataclass(frozen=True)
class Market:
    """The compliance entities of one market (in the scenario mapping: one registry), and the ``stock`` of
    units held there by accounts without an obligation (dealers), which the entities may buy."""

    id: str
    entities: tuple[Entity, ...]
    stock: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        if not self.entities:
            raise ValueError(f"market {self.id} has no compliance entities")
        if any(entity.slope <= 0 for entity in self.entities):
            raise ValueError(f"market {self.id} has a MAC slope that is not positive")

    @property
    def required(self) -> Fraction:
        """Required abatement in autarky: Σ(baseline − allocation) − stock, tonnes."""
        return sum((entity.required for entity in self.entities), Fraction(0)) - Fraction(self.stock)

    @property
    def responsiveness(self) -> Fraction:
        """Σ 1/slope: tonnes the market abates per unit of price."""
        return sum((1 / Fraction(entity.slope) for entity in self.entities), Fraction(0))

    @property
    def autarky_price(self) -> Fraction:
        return max(Fraction(0), self.required / self.responsiveness)

    def abatement_cost(self, price: Fraction) -> Fraction:
        """Σ slope·a²/2 with every entity abating price/slope."""
        return self.responsiveness * price * price / 2


@dataclass(frozen=True)
class Arc:
    """One direction of a link: ``origin`` units moved, each counting as ``rate`` ``destination`` units."""

    id: str
    origin: str
    destination: str
    rate: Fraction = Fraction(1)
    cap: Fraction | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"arc {self.id}: rate must be positive")
        if self.cap is not None and self.cap < 0:
            raise ValueError(f"arc {self.id}: cap must not be negative")
        if self.origin == self.destination:
            raise ValueError(f"arc {self.id}: origin and destination are the same market")


@dataclass(frozen=True)
class MarketOutcome:
    """One market at equilibrium (money in the solver's currency, quantities in tonnes)."""

    price: Fraction
    abatement: Fraction
    net_import: Fraction  # units received (after conversion) minus units sent
    abatement_cost: Fraction
    purchase_cost: Fraction  # paid for imports minus received for exports
    autarky_price: Fraction
    autarky_cost: Fraction

    @property
    def compliance_cost(self) -> Fraction:
        return self.abatement_cost + self.purchase_cost

    @property
    def gain(self) -> Fraction:
        return self.autarky_cost - self.compliance_cost


@dataclass(frozen=True)
class ArcOutcome:
    flow: Fraction  # origin tonnes moved
    delivered: Fraction  # destination units credited: flow × rate
    rent: Fraction  # scarcity rent of the cap: flow × (rate × p_destination − p_origin)
    binding: bool


@dataclass(frozen=True)
class Equilibrium:
    markets: dict[str, MarketOutcome]
    arcs: dict[str, ArcOutcome]
    max_gain: Fraction  # gain if the markets each arc connects were pooled at 1:1 without caps
    exact: bool

    @property
    def gain(self) -> Fraction:
        """Realised gains from trade: total autarky cost minus total compliance cost."""
        return sum((market.gain for market in self.markets.values()), Fraction(0))

    @property
    def efficiency(self) -> Fraction | None:
        """gain / max_gain, or None when no gain is possible."""
        return self.gain / self.max_gain if self.max_gain > 0 else None


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
    approximate = _approximate_flows(by_id, arcs)
    solution = _exact_solution(by_id, arcs, approximate)
    exact = solution is not None
    if solution is None:
        solution = _rounded_solution(by_id, arcs, approximate)
    prices, flows = solution
    if exact:
        flows = _without_circulations(arcs, flows)
    return _outcome(by_id, arcs, prices, flows, exact=exact)


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


def _approximate_flows(markets: dict[str, Market], arcs: Sequence[Arc]) -> list[float]:
    required = {key: float(market.required) for key, market in markets.items()}
    response = {key: float(market.responsiveness) for key, market in markets.items()}
    imported = dict.fromkeys(markets, 0.0)
    flows = [0.0] * len(arcs)
    scale = 1.0 + sum(abs(value) for value in required.values())
    for _ in range(_SWEEPS):
        largest_move = 0.0
        for index, arc in enumerate(arcs):
            rate = float(arc.rate)
            a_origin = required[arc.origin] - imported[arc.origin]
            a_destination = required[arc.destination] - imported[arc.destination]
            s_origin, s_destination = response[arc.origin], response[arc.destination]
            if -a_origin < a_destination / rate:
                step = (rate * a_destination / s_destination - a_origin / s_origin) / (
                    1 / s_origin + rate * rate / s_destination
                )
            else:  # both prices are zero over [a_d / r, -a_o]: any step in it is optimal
                step = min(max(0.0, a_destination / rate), -a_origin)
            new = max(0.0, flows[index] + step)
            if arc.cap is not None:
                new = min(new, float(arc.cap))
            move = new - flows[index]
            if move:
                imported[arc.origin] -= move
                imported[arc.destination] += rate * move
                flows[index] = new
                largest_move = max(largest_move, abs(move))
        if largest_move <= _TOLERANCE * scale:
            break
    return flows


def _net_imports(markets: dict[str, Market], arcs: Sequence[Arc], flows: Sequence[Fraction]) -> dict[str, Fraction]:
    imported = dict.fromkeys(markets, Fraction(0))
    for arc, flow in zip(arcs, flows):
        imported[arc.origin] -= flow
        imported[arc.destination] += arc.rate * flow
    return imported


def _exact_solution(
    markets: dict[str, Market], arcs: Sequence[Arc], approximate: list[float]
) -> tuple[dict[str, Fraction], list[Fraction]] | None:
    """Solve the regime the float search found, exactly; None if it does not verify."""
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
    price_scale = 1.0 + max(abs(float(m.required / m.responsiveness)) for m in markets.values())
    zero_priced = {
        key
        for key, market in markets.items()
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
    markets: dict[str, Market], arcs: Sequence[Arc], prices: dict[str, Fraction], flows: list[Fraction]
) -> bool:
    imported = _net_imports(markets, arcs, flows)
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


def _without_circulations(arcs: Sequence[Arc], flows: list[Fraction]) -> list[Fraction]:
    """Remove flow going round a cycle whose rates multiply to 1 (e.g. A→B and B→A at 1:1).

    Such a circulation changes no market's net import and, at equilibrium prices, leaves every arc
    on it arbitraging, so the result is an equilibrium too, without the redundant gross flows.
    """
    flows = list(flows)
    while (cycle := _circulation(arcs, flows)) is not None:
        reach, amounts = Fraction(1), []
        for index in cycle:
            amounts.append(flows[index] / reach)
            reach *= arcs[index].rate
        amount, reach = min(amounts), Fraction(1)
        for index in cycle:
            flows[index] -= amount * reach
            reach *= arcs[index].rate
    return flows


def _circulation(arcs: Sequence[Arc], flows: list[Fraction]) -> list[int] | None:
    """Arc indices of a cycle of flowing arcs whose rates multiply to 1, or None."""
    flowing = [index for index, flow in enumerate(flows) if flow > 0]

    def extend(path: list[int], product: Fraction) -> list[int] | None:
        start, here = arcs[path[0]].origin, arcs[path[-1]].destination
        if here == start:
            return path if product == 1 else None
        visited = {arcs[index].origin for index in path}
        for index in flowing:
            if arcs[index].origin == here and arcs[index].destination not in visited - {start}:
                found = extend([*path, index], product * arcs[index].rate)
                if found is not None:
                    return found
        return None

    for first in flowing:
        found = extend([first], arcs[first].rate)
        if found is not None:
            return found
    return None


def _rounded_solution(
    markets: dict[str, Market], arcs: Sequence[Arc], approximate: list[float]
) -> tuple[dict[str, Fraction], list[Fraction]]:
    flows = []
    for arc, flow in zip(arcs, approximate):
        value = max(Fraction(0), Fraction(flow).limit_denominator(10**6))
        flows.append(min(value, arc.cap) if arc.cap is not None else value)
    imported = _net_imports(markets, arcs, flows)
    prices = {
        key: max(Fraction(0), (market.required - imported[key]) / market.responsiveness)
        for key, market in markets.items()
    }
    return prices, flows


def _outcome(
    markets: dict[str, Market],
    arcs: Sequence[Arc],
    prices: dict[str, Fraction],
    flows: list[Fraction],
    *,
    exact: bool,
) -> Equilibrium:
    imported = _net_imports(markets, arcs, flows)
    purchases = dict.fromkeys(markets, Fraction(0))
    arc_outcomes = {}
    for arc, flow in zip(arcs, flows):
        paid = flow * prices[arc.origin]
        purchases[arc.destination] += paid
        purchases[arc.origin] -= paid
        arc_outcomes[arc.id] = ArcOutcome(
            flow=flow,
            delivered=flow * arc.rate,
            rent=flow * (arc.rate * prices[arc.destination] - prices[arc.origin]),
            binding=arc.cap is not None and flow == arc.cap,
        )
    market_outcomes = {
        key: MarketOutcome(
            price=prices[key],
            abatement=market.responsiveness * prices[key],
            net_import=imported[key],
            abatement_cost=market.abatement_cost(prices[key]),
            purchase_cost=purchases[key],
            autarky_price=market.autarky_price,
            autarky_cost=market.abatement_cost(market.autarky_price),
        )
        for key, market in markets.items()
    }
    return Equilibrium(
        markets=market_outcomes,
        arcs=arc_outcomes,
        max_gain=_pooled_gain(markets, arcs),
        exact=exact,
    )


def _pooled_gain(markets: dict[str, Market], arcs: Sequence[Arc]) -> Fraction:
    """The gain if every group of markets the arcs connect traded as one market at 1:1 without caps."""
    group = {key: key for key in markets}

    def find(key: str) -> str:
        while group[key] != key:
            key = group[key]
        return key

    for arc in arcs:
        group[find(arc.origin)] = find(arc.destination)
    gain = Fraction(0)
    for root in {find(key) for key in markets}:
        members = [market for key, market in markets.items() if find(key) == root]
        required = sum((market.required for market in members), Fraction(0))
        response = sum((market.responsiveness for market in members), Fraction(0))
        price = max(Fraction(0), required / response)
        gain += sum((market.abatement_cost(market.autarky_price) for market in members), Fraction(0))
        gain -= response * price * price / 2
    return gain
