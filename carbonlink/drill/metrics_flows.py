"""Cross-border flows of a phase (delivered, credited, busted, against the cap, the bridge's own counter and the
benchmark) and what stood across a link when it was suspended."""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction

from carbonlink.drill.equilibrium import Equilibrium
from carbonlink.drill.journal import DrillJournal, TradeRecord
from carbonlink.drill.metrics_results import FlowResult, PhaseResult, registry_of
from carbonlink.drill.phase_problems import PhaseProblem
from carbonlink.drill.scenario import Scenario
from shared.money import minor_digits

_AT_CAP = Fraction(999_999, 1_000_000)  # a banded solution the float search rounded may sit a hair under its cap


def link_flows(scenario: Scenario, problem: PhaseProblem, equilibrium: Equilibrium, banded: Equilibrium,
               trades: list[TradeRecord], counted: dict[str, int] | None) -> list[FlowResult]:
    """Origin tonnes delivered across each link direction; busted trades (refused by the bridge) apart; beside
    them the unconstrained benchmark's flow and the band-constrained one's, and whether the cap binds in the
    latter: a cap the band-constrained equilibrium does not reach (a market held at its band wants less) is
    no target for the drill."""
    moved: dict[tuple[str, str], int] = defaultdict(int)
    busted: dict[tuple[str, str], int] = defaultdict(int)
    for trade in trades:
        origin = scenario.instrument(trade.instrument).registry
        destination = registry_of(trade.buy_account)
        if trade.buy_account and destination != origin:
            (moved if trade.refused is None else busted)[(origin, destination)] += trade.quantity
    results = []
    for arc in problem.arcs:
        key = (arc.origin, arc.destination)
        tonnes = moved.pop(key, 0)
        held = banded.arcs[arc.id].flow
        results.append(FlowResult(problem.phase, arc.id, tonnes, math.floor(tonnes * arc.rate),
                                  None if arc.cap is None else float(arc.cap),
                                  float(equilibrium.arcs[arc.id].flow),
                                  None if counted is None else counted.get(arc.id, 0),
                                  None if arc.cap is None else float(arc.cap * arc.rate), busted.pop(key, 0),
                                  float(held), None if arc.cap is None else held >= arc.cap * _AT_CAP))
    for key in sorted(set(moved) | set(busted)):  # crossed where the phase's benchmark has no arc
        origin, destination = key
        link = next((linkage.id for linkage in scenario.linkages
                     if any(d[:2] == key for d in linkage.directions())), "?")
        arc_id = f"{link}:{origin}>{destination}"  # e.g. before an intraday suspension
        tonnes = moved.get(key, 0)
        results.append(FlowResult(problem.phase, arc_id, tonnes, tonnes, None, 0.0,
                                  None if counted is None else counted.get(arc_id, 0), None, busted.get(key, 0)))
    return results


def _closer(was: float | None, now: float | None, target: float | None) -> bool | None:
    """Whether a price moved closer to ``target``; None when a price is missing."""
    if was is None or now is None or target is None:
        return None
    return abs(now - target) < abs(was - target)


def suspension_gaps(scenario: Scenario, journal: DrillJournal, problems: list[PhaseProblem],
                     phases: list[PhaseResult]) -> list[dict[str, object]]:
    """At each suspension: net tonnes that had crossed the link each way before it (units left abroad),
    the foreign resting orders and those cancelled, and whether prices moved back towards autarky."""
    results = {p.phase: p for p in phases}
    order = [p.phase for p in problems]
    autarky = {market.id: market.autarky_price for market in problems[0].markets} if problems else {}
    gaps = []
    for event in journal.link_events:
        if event.action != "suspend" or event.phase == order[0]:
            continue
        linkage = next(link for link in scenario.linkages if link.id == event.linkage)
        registries = set(linkage.registries)
        net: dict[str, int] = defaultdict(int)
        for trade in journal.trades:
            origin = scenario.instrument(trade.instrument).registry
            destination = registry_of(trade.buy_account)
            if (trade.at <= event.at and trade.buy_account and origin != destination
                    and {origin, destination} <= registries and trade.trade_id not in journal.failed_trades):
                net[f"{origin}>{destination}"] += trade.quantity
        before = results.get(order[order.index(event.phase) - 1]) if event.phase in order else None
        after = results.get(event.phase)
        prices = {}
        for registry in sorted(registries):
            if before is None or after is None or registry not in after.markets or registry not in before.markets:
                continue
            market = after.markets[registry]
            scale = Fraction(10) ** minor_digits(scenario.instrument(market.instrument).currency) / scenario.fx[
                scenario.instrument(market.instrument).currency]
            target = float(autarky[registry] * scale) if registry in autarky else None
            was, now = before.markets[registry].simulated_minor, market.simulated_minor
            prices[registry] = {"before_minor": was, "after_minor": now, "autarky_minor": target,
                                "towards_autarky": _closer(was, now, target),
                                "equilibrium_minor": market.benchmark_minor,
                                "towards_equilibrium": _closer(was, now, market.benchmark_minor)}
        gaps.append({"linkage": event.linkage, "phase": event.phase, "at": event.at, "net_flows": dict(net),
                     "resting_foreign_orders": event.resting_foreign, "cancelled_orders": event.cancelled,
                     "their_final_states": event.final_states,
                     "prices": prices})
    return gaps
