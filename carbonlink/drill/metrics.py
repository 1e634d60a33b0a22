"""What a drill's journal says about the economics, pure: simulated prices beside the analytical
benchmark, allocative efficiency, cross-border flows and quota use, convergence between linked markets,
compliance cost per market, and the net flow standing across a link when it was suspended.

- Simulated price of a phase: the volume-weighted price of the phase's second half (minor units).
- Efficiency of a phase: (no-trade cost − realised cost) / (no-trade cost − benchmark cost), where a
  cost is total abatement cost: with no trade every entity abates its own required tonnes; realised,
  it abates what its end-of-phase position leaves uncovered; the benchmark is the equilibrium's.
  None when the benchmark gains nothing over no trade.
- Money is reported in the scenario's reporting currency (major units) unless named ``*_minor``.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from carbonlink.drill.equilibrium import Equilibrium, solve
from carbonlink.drill.journal import DrillJournal, TradeRecord
from carbonlink.drill.phase_problems import PhaseProblem, phase_problems
from carbonlink.drill.scenario import Scenario
from carbonlink.drill.setup_plan import Member
from shared.money import minor_digits

__all__ = ["MarketResult", "PhaseResult", "FlowResult", "DrillMetrics", "business_day", "compute_metrics", "vwap"]


@dataclass(frozen=True)
class MarketResult:
    registry: str
    instrument: str
    benchmark_minor: float  # equilibrium price, local minor units per tonne
    simulated_minor: float | None  # second-half VWAP
    error_pct: float | None
    volume: int
    trades: int
    benchmark_cost: float  # compliance cost, reporting currency
    simulated_cost: float | None


@dataclass(frozen=True)
class FlowResult:
    phase: str
    arc: str  # "{link}:{origin}>{destination}"
    tonnes: int  # origin tonnes bought across the border
    credited: int  # units counted in the destination
    cap: float | None  # origin tonnes the phase allows, None: uncapped
    benchmark: float  # origin tonnes in the equilibrium

    @property
    def utilisation(self) -> float | None:
        return None if not self.cap else self.tonnes / self.cap


@dataclass
class PhaseResult:
    phase: str
    markets: dict[str, MarketResult] = field(default_factory=dict)
    efficiency: float | None = None
    realised_gain: float | None = None
    benchmark_gain: float = 0.0
    convergence: dict[str, tuple[float | None, float]] = field(default_factory=dict)  # pair → (sim, benchmark) ratio


@dataclass
class DrillMetrics:
    phases: list[PhaseResult]
    flows: list[FlowResult]
    suspension_gaps: list[dict[str, object]]


def vwap(trades: list[TradeRecord]) -> float | None:
    volume = sum(t.quantity for t in trades)
    return sum(t.price * t.quantity for t in trades) / volume if volume else None


def business_day(journal: DrillJournal, at: int) -> float:
    """Trading-day coordinate of a wall-clock moment: day number plus the fraction of the day gone."""
    starts = [day.start for day in journal.days]
    index = max(0, bisect.bisect_right(starts, at) - 1)
    day = journal.days[index]
    return day.day + min(1.0, max(0.0, (at - day.start) / max(1, day.end - day.start)))


def phase_window(journal: DrillJournal, phase: str) -> tuple[int, int] | None:
    days = [day for day in journal.days if day.phase == phase]
    return (days[0].start, days[-1].end) if days else None


def _registry(account: str) -> str:
    return account.partition("/")[0]


def _home_instruments(scenario: Scenario, members: list[Member]) -> dict[str, str]:
    """Registry → the instrument its compliance entities trade at home."""
    return {m.registry: m.instrument for m in members if m.entity is not None}


def compute_metrics(scenario: Scenario, members: list[Member], journal: DrillJournal) -> DrillMetrics:
    problems = phase_problems(scenario)
    instruments = {i.id: i for i in scenario.instruments}
    home = _home_instruments(scenario, members)
    phases, flows = [], []
    for problem in problems:
        window = phase_window(journal, problem.phase)
        if window is None:
            continue
        equilibrium = solve(problem.markets, problem.arcs)
        in_phase = [t for t in journal.trades if window[0] <= t.at <= window[1]]
        middle = (window[0] + window[1]) // 2
        result = PhaseResult(problem.phase)
        costs = _simulated_costs(scenario, members, journal, problem.phase, in_phase)
        for registry, instrument_id in home.items():
            outcome = equilibrium.markets.get(registry)
            if outcome is None:
                continue
            currency = instruments[instrument_id].currency
            scale = Fraction(10) ** minor_digits(currency) / scenario.fx[currency]
            bench = float(outcome.price * scale)
            mine = [t for t in in_phase if t.instrument == instrument_id]
            simulated = vwap([t for t in mine if t.at >= middle])
            error = None if simulated is None or bench == 0 else (simulated - bench) / bench * 100
            result.markets[registry] = MarketResult(
                registry, instrument_id, bench, simulated, error, sum(t.quantity for t in mine), len(mine),
                float(outcome.compliance_cost), costs.get(registry))
        result.efficiency, result.realised_gain, result.benchmark_gain = _efficiency(
            scenario, members, journal, problem.phase, equilibrium)
        result.convergence = _convergence(scenario, problem, result)
        phases.append(result)
        flows += _flows(scenario, problem, equilibrium, in_phase)
    return DrillMetrics(phases, flows, _suspension_gaps(scenario, journal))


def _reporting(scenario: Scenario, currency: str, minor: float) -> float:
    return float(scenario.fx[currency]) * minor / 10 ** minor_digits(currency)


def _entity_costs(scenario: Scenario, member: Member, position: int) -> tuple[float, float]:
    """(no-trade, realised) abatement cost of an entity, reporting currency."""
    entity = member.entity
    assert entity is not None
    slope = entity.slope * scenario.fx[scenario.instrument(member.instrument).currency]
    no_trade = slope * max(0, entity.required) ** 2 / 2
    realised = slope * max(0, entity.baseline - position) ** 2 / 2
    return float(no_trade), float(realised)


def _efficiency(scenario: Scenario, members: list[Member], journal: DrillJournal, phase: str,
                equilibrium: Equilibrium) -> tuple[float | None, float | None, float]:
    by_member = {m.id: m for m in members}
    outcomes = [o for o in journal.outcomes if o.phase == phase and o.member in by_member]
    no_trade_all = sum(_entity_costs(scenario, m, 0)[0] for m in members if m.entity is not None)
    benchmark_cost = sum(float(m.abatement_cost) for m in equilibrium.markets.values())
    benchmark_gain = no_trade_all - benchmark_cost
    if not outcomes:
        return None, None, benchmark_gain
    no_trade = realised = 0.0
    for outcome in outcomes:
        a, b = _entity_costs(scenario, by_member[outcome.member], outcome.position)
        no_trade, realised = no_trade + a, realised + b
    gain = no_trade - realised
    if benchmark_gain <= 1e-9 * max(1.0, no_trade_all):
        return None, gain, benchmark_gain
    return gain / benchmark_gain, gain, benchmark_gain


def _simulated_costs(scenario: Scenario, members: list[Member], journal: DrillJournal, phase: str,
                     trades: list[TradeRecord]) -> dict[str, float]:
    """Per registry: abatement cost at the entities' end positions plus what they paid net for units."""
    by_account = {m.account: m for m in members if m.entity is not None}
    costs: dict[str, float] = defaultdict(float)
    outcomes = [o for o in journal.outcomes if o.phase == phase and o.account in by_account]
    if not outcomes:
        return {}
    for outcome in outcomes:
        costs[outcome.registry] += _entity_costs(scenario, by_account[outcome.account], outcome.position)[1]
    for trade in trades:
        if trade.trade_id in journal.failed_trades:
            continue
        currency = scenario.instrument(trade.instrument).currency
        paid = _reporting(scenario, currency, trade.price * trade.quantity)
        if trade.buy_account in by_account:
            costs[by_account[trade.buy_account].registry] += paid
        if trade.sell_account in by_account:
            costs[by_account[trade.sell_account].registry] -= paid
    return dict(costs)


def _convergence(scenario: Scenario, problem: PhaseProblem, result: PhaseResult) -> dict[str, tuple[float | None, float]]:
    """For each linked pair of markets in the phase: price ratio (reporting currency), simulated and benchmark."""
    pairs = {}
    for arc in problem.arcs:
        a, b = sorted((arc.origin, arc.destination))
        if a not in result.markets or b not in result.markets:
            continue
        ma, mb = result.markets[a], result.markets[b]
        ca, cb = (scenario.instrument(m.instrument).currency for m in (ma, mb))
        bench_a, bench_b = _reporting(scenario, ca, ma.benchmark_minor), _reporting(scenario, cb, mb.benchmark_minor)
        simulated = None
        if ma.simulated_minor and mb.simulated_minor:
            simulated = _reporting(scenario, ca, ma.simulated_minor) / _reporting(scenario, cb, mb.simulated_minor)
        pairs[f"{a}/{b}"] = (simulated, bench_a / bench_b if bench_b else math.nan)
    return pairs


def _flows(scenario: Scenario, problem: PhaseProblem, equilibrium: Equilibrium,
           trades: list[TradeRecord]) -> list[FlowResult]:
    moved: dict[tuple[str, str], int] = defaultdict(int)
    for trade in trades:
        origin = scenario.instrument(trade.instrument).registry
        destination = _registry(trade.buy_account)
        if trade.buy_account and destination != origin:
            moved[(origin, destination)] += trade.quantity
    results = []
    for arc in problem.arcs:
        tonnes = moved.pop((arc.origin, arc.destination), 0)
        results.append(FlowResult(problem.phase, arc.id, tonnes, math.floor(tonnes * arc.rate),
                                  None if arc.cap is None else float(arc.cap),
                                  float(equilibrium.arcs[arc.id].flow)))
    for (origin, destination), tonnes in moved.items():  # crossed where the benchmark has no arc
        results.append(FlowResult(problem.phase, f"?:{origin}>{destination}", tonnes, tonnes, 0.0, 0.0))
    return results


def _suspension_gaps(scenario: Scenario, journal: DrillJournal) -> list[dict[str, object]]:
    """At each suspension: net tonnes that had crossed the link each way before it (units left abroad)."""
    gaps = []
    for event in journal.link_events:
        if event.action != "suspend":
            continue
        linkage = next(link for link in scenario.linkages if link.id == event.linkage)
        registries = set(linkage.registries)
        net: dict[str, int] = defaultdict(int)
        for trade in journal.trades:
            origin = scenario.instrument(trade.instrument).registry
            destination = _registry(trade.buy_account)
            if (trade.at <= event.at and trade.buy_account and origin != destination
                    and {origin, destination} <= registries and trade.trade_id not in journal.failed_trades):
                net[f"{origin}>{destination}"] += trade.quantity
        gaps.append({"linkage": event.linkage, "phase": event.phase, "at": event.at, "net_flows": dict(net)})
    return gaps
