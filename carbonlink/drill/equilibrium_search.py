"""The float search of the equilibrium: Gauss-Seidel on arc flows (each step minimises total abatement cost
exactly along one arc) finds the regime; when the exact solution does not verify, its flows rounded to
Fractions with prices following exactly from them are the answer. Standard library only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from carbonlink.drill.equilibrium_model import Arc, Terms, net_imports

_SWEEPS = 20_000
_TOLERANCE = 1e-13


def approximate_flows(markets: Mapping[str, Terms], arcs: Sequence[Arc]) -> list[float]:
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


def rounded_solution(
    markets: Mapping[str, Terms], arcs: Sequence[Arc], approximate: list[float]
) -> tuple[dict[str, Fraction], list[Fraction]]:
    flows = []
    for arc, flow in zip(arcs, approximate):
        value = max(Fraction(0), Fraction(flow).limit_denominator(10**6))
        flows.append(min(value, arc.cap) if arc.cap is not None else value)
    imported = net_imports(markets, arcs, flows)
    prices = {
        key: max(Fraction(0), (market.required - imported[key]) / market.responsiveness)
        for key, market in markets.items()
    }
    return prices, flows
