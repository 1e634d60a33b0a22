"""What a drill's journal says about the economics, pure: simulated prices beside the analytical
benchmark, allocative efficiency, cross-border flows and quota use, convergence between linked markets,
compliance cost per market, and the net flow standing across a link when it was suspended.

- Simulated price of a phase: the volume-weighted price of the phase's second half (minor units). A
  market whose home book stopped trading in the second half (its buyers import instead, or no gains
  are left) is priced at what its accounts paid per credited tonne for second-half imports (converted
  to its currency), else at its last trade of the phase; ``price_basis`` says which.
- Band reach of a phase (markets with a daily band): the prices the band lets a market reach in the
  phase's days from the close before it, each day's band around the previous close; an equilibrium
  outside it cannot be reached, whatever the traders do, and the report says so beside the error.
- Efficiency of a phase: (no-trade cost − realised cost) / (no-trade cost − benchmark cost), where a
  cost is total abatement cost: with no trade every entity abates its own required tonnes; realised,
  it abates what its end-of-phase position leaves uncovered; the benchmark is the equilibrium's.
  None when the benchmark gains nothing over no trade.
- Quota utilisation: what the bridge's own link counter (units delivered, i.e. credited) rose by in
  the phase, over the phase's cap in credited units; None when uncapped or not counted.
- At each suspension: the net flow that had crossed the link each way (units left abroad), the
  foreign orders resting when it came and how many were cancelled, and for each market of the link
  whether its price moved back towards its autarky price (phase before → suspended phase).
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
from carbonlink.drill.setup_plan import Member, minor_price
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
    band_reach: tuple[float, float] | None = None  # minor units; None: no band
    price_basis: str = "second-half VWAP"  # or "last trade" (no trade in the second half)

    @property
    def band_limited(self) -> bool:
        return self.band_reach is not None and not self.band_reach[0] <= self.benchmark_minor <= self.band_reach[1]


@dataclass(frozen=True)
class FlowResult:
    phase: str
    arc: str  # "{link}:{origin}>{destination}"
    tonnes: int  # origin tonnes bought across the border
    credited: int  # units counted in the destination
    cap: float | None  # origin tonnes the phase allows, None: uncapped
    benchmark: float  # origin tonnes in the equilibrium
    counted: int | None = None  # units the bridge's link counter rose by in the phase (delivered, credited)
    credited_cap: float | None = None  # the cap in units credited in the destination

    @property
    def utilisation(self) -> float | None:
        """The bridge's counted units over the credited cap."""
        return None if not self.credited_cap or self.counted is None else self.counted / self.credited_cap


@dataclass
class PhaseResult:
    phase: str
    markets: dict[str, MarketResult] = field(default_factory=dict)
    efficiency: float | None = None
    realised_gain: float | None = None
    benchmark_gain: float = 0.0
    convergence: dict[str, tuple[float | None, float]] = field(default_factory=dict)  # pair → (sim, benchmark) ratio
    notes: tuple[str, ...] = ()  # limits the benchmark only approximates


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
    counted_before: dict[str, int] = journal.quota_at_start
    for problem in problems:
        window = phase_window(journal, problem.phase)
        if window is None:
            continue
        equilibrium = solve(problem.markets, problem.arcs)
        in_phase = [t for t in journal.trades if window[0] <= t.at <= window[1]]
        middle = (window[0] + window[1]) // 2
        result = PhaseResult(problem.phase, notes=problem.notes)
        costs = _simulated_costs(scenario, members, journal, problem.phase, in_phase)
        for registry, instrument_id in home.items():
            outcome = equilibrium.markets.get(registry)
            if outcome is None:
                continue
            currency = instruments[instrument_id].currency
            scale = Fraction(10) ** minor_digits(currency) / scenario.fx[currency]
            bench = float(outcome.price * scale)
            mine = [t for t in in_phase if t.instrument == instrument_id]
            simulated, basis = vwap([t for t in mine if t.at >= middle]), "second-half VWAP"
            if simulated is None:
                simulated, basis = _import_price(scenario, problem, registry, currency,
                                                 [t for t in in_phase if t.at >= middle]), "imports"
            if simulated is None and mine:
                simulated, basis = float(max(mine, key=lambda t: t.at).price), "last trade"
            error = None if simulated is None or bench == 0 else (simulated - bench) / bench * 100
            result.markets[registry] = MarketResult(
                registry, instrument_id, bench, simulated, error, sum(t.quantity for t in mine), len(mine),
                float(outcome.compliance_cost), costs.get(registry),
                _band_reach(scenario, journal, instrument_id, problem.phase, window[0]), basis)
        result.efficiency, result.realised_gain, result.benchmark_gain = _efficiency(
            scenario, members, journal, problem.phase, equilibrium)
        result.convergence = _convergence(scenario, problem, result)
        phases.append(result)
        counted_now = journal.quota_counted.get(problem.phase)
        counted = None if counted_now is None else {
            arc: value - counted_before.get(arc, 0) for arc, value in counted_now.items()}
        counted_before = counted_now if counted_now is not None else counted_before
        flows += _flows(scenario, problem, equilibrium, in_phase, counted)
    return DrillMetrics(phases, flows, _suspension_gaps(scenario, journal, problems, phases))


def _import_price(scenario: Scenario, problem: PhaseProblem, registry: str, currency: str,
                  trades: list[TradeRecord]) -> float | None:
    """Local minor units per credited tonne that ``registry``'s accounts paid abroad, volume-weighted."""
    rates = {arc.origin: arc.rate for arc in problem.arcs if arc.destination == registry}
    paid = credited = 0.0
    for trade in trades:
        instrument = scenario.instrument(trade.instrument)
        if _registry(trade.buy_account) != registry or instrument.registry not in rates:
            continue
        to_local = (scenario.fx[instrument.currency] / scenario.fx[currency]
                    * Fraction(10) ** (minor_digits(currency) - minor_digits(instrument.currency)))
        paid += float(trade.price * trade.quantity * to_local)
        credited += float(trade.quantity * rates[instrument.registry])
    return paid / credited if credited else None


def _band_reach(scenario: Scenario, journal: DrillJournal, instrument_id: str, phase: str,
                start: int) -> tuple[float, float] | None:
    instrument = scenario.instrument(instrument_id)
    if instrument.band is None:
        return None
    before = [t for t in journal.trades if t.instrument == instrument_id and t.at < start]
    close = max(before, key=lambda t: t.at).price if before else minor_price(scenario, instrument_id)
    days = sum(1 for day in journal.days if day.phase == phase)
    band = float(instrument.band)
    return close * (1 - band) ** days, close * (1 + band) ** days


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
           trades: list[TradeRecord], counted: dict[str, int] | None) -> list[FlowResult]:
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
                                  float(equilibrium.arcs[arc.id].flow),
                                  None if counted is None else counted.get(arc.id, 0),
                                  None if arc.cap is None else float(arc.cap * arc.rate)))
    for (origin, destination), tonnes in moved.items():  # crossed where the phase's benchmark has no arc
        link = next((linkage.id for linkage in scenario.linkages
                     if any(d[:2] == (origin, destination) for d in linkage.directions())), "?")
        arc_id = f"{link}:{origin}>{destination}"  # e.g. before an intraday suspension
        results.append(FlowResult(problem.phase, arc_id, tonnes, tonnes, None, 0.0,
                                  None if counted is None else counted.get(arc_id, 0)))
    return results


def _closer(was: float | None, now: float | None, target: float | None) -> bool | None:
    """Whether a price moved closer to ``target``; None when a price is missing."""
    if was is None or now is None or target is None:
        return None
    return abs(now - target) < abs(was - target)


def _suspension_gaps(scenario: Scenario, journal: DrillJournal, problems: list[PhaseProblem],
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
            destination = _registry(trade.buy_account)
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
