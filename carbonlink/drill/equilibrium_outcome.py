"""The money of an equilibrium: each market's abatement and purchase costs against autarky, each arc's flow,
delivery and scarcity rent, and the gain pooling every connected group of markets would bring. Standard
library only."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from carbonlink.drill.equilibrium_model import Arc, ArcOutcome, Equilibrium, Market, MarketOutcome, net_imports


def outcome(
    markets: dict[str, Market],
    arcs: Sequence[Arc],
    prices: dict[str, Fraction],
    flows: list[Fraction],
    *,
    exact: bool,
) -> Equilibrium:
    imported = net_imports(markets, arcs, flows)
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
