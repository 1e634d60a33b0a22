"""Flows going round a cycle of arcs whose rates multiply to 1 change no market's net import: an exact
equilibrium is reported without them. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from carbonlink.drill.equilibrium_model import Arc


def without_circulations(arcs: Sequence[Arc], flows: list[Fraction]) -> list[Fraction]:
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
