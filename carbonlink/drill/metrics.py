"""What a drill's journal says about the economics, pure: simulated prices beside the analytical
benchmark, allocative efficiency, cross-border flows and quota use, convergence between linked markets,
compliance cost per market, and the net flow standing across a link when it was suspended.

- The benchmark of a phase starts from what the markets hold when it begins: each entity's units after
  its allocation (what it carried over included), what the dealers sold on net to the market in the phase,
  and the link caps the bridge's own counters left for the period. So the efficiency cannot exceed 100% beyond rounding.
- Simulated price of a phase: the volume-weighted price of the phase's second half (trading days) over
  the market's home trades and its accounts' imports per credited tonne (converted to its currency)
  together; busted trades (matched, then refused by the bridge) are left out. A market with neither
  trades at its last home trade of the phase; ``price_basis`` says which. Imports over a link whose cap
  binds in the benchmark are left out: the importer pays the exporter's price there, and keeps the rent.
- Band reach of a phase (markets with a daily band): the prices the band lets a market reach in the
  phase's days from the close before it, each day's band around the previous close; an equilibrium
  outside it cannot be reached, whatever the traders do, and the report says so beside the error.
- Efficiency of a phase: (no-trade cost − realised cost) / (no-trade cost − benchmark cost), where a
  cost is total abatement cost: with no trade every entity abates what its phase-start units leave
  uncovered; realised, what its end-of-phase units leave uncovered; the benchmark is the equilibrium's.
  None when the benchmark gains nothing over no trade.
- Flows: units delivered across each link direction (busted trades listed apart, with the bridge's reason).
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

from carbonlink.drill.equilibrium import Entity, Equilibrium, Market, solve
from carbonlink.drill.journal import DrillJournal, TradeRecord
from carbonlink.drill.phase_problems import PhaseProblem, phase_problem, phase_problems
from carbonlink.drill.scenario import Scenario
from carbonlink.drill.setup_plan import Member, minor_price
from shared.money import minor_digits

__all__ = ["MarketResult", "PhaseResult", "FlowResult", "DrillMetrics", "business_day", "compute_metrics", "vwap"]


@dataclass(frozen=True)
class MarketResult:
    registry: str
    instrument: str
    benchmark_minor: float  # equilibrium price, local minor units per tonne
    simulated_minor: float | None  # second-half VWAP over home trades and imports per credited tonne
    error_pct: float | None
    volume: int
    trades: int
    benchmark_cost: float  # compliance cost, reporting currency
    simulated_cost: float | None
    band_reach: tuple[float, float] | None = None  # minor units; None: no band
    price_basis: str = "home"  # "home", "imports", "home and imports", or "last trade" (none in the second half)

    @property
    def band_limited(self) -> bool:
        return self.band_reach is not None and not self.band_reach[0] <= self.benchmark_minor <= self.band_reach[1]


@dataclass(frozen=True)
class FlowResult:
    phase: str
    arc: str  # "{link}:{origin}>{destination}"
    tonnes: int  # origin tonnes delivered across the border
    credited: int  # units counted in the destination
    cap: float | None  # origin tonnes the phase allows, None: uncapped
    benchmark: float  # origin tonnes in the equilibrium
    counted: int | None = None  # units the bridge's link counter rose by in the phase (delivered, credited)
    credited_cap: float | None = None  # the cap in units credited in the destination
    busted_tonnes: int = 0  # matched across the border, then refused by the bridge (not in ``tonnes``)

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
    busted: int = 0  # trades matched in the phase, then refused by the bridge
    busted_tonnes: int = 0


@dataclass
class DrillMetrics:
    phases: list[PhaseResult]
    flows: list[FlowResult]
    suspension_gaps: list[dict[str, object]]


def vwap(trades: list[TradeRecord]) -> float | None:
    volume = sum(t.quantity for t in trades)
    return sum(t.price * t.quantity for t in trades) / volume if volume else None


def business_day(journal: DrillJournal, at: int) -> float:
    """Trading-day coordinate of a business moment: day number plus the fraction of the day gone."""
    starts = [day.start for day in journal.days]
    index = max(0, bisect.bisect_right(starts, at) - 1)
    day = journal.days[index]
    return day.day + min(1.0, max(0.0, (at - day.start) / max(1, day.end - day.start)))


def phase_window(journal: DrillJournal, phase: str) -> tuple[int, int, int] | None:
    """(start, start of the second half, end) of a phase in business ms: the second half is its later days."""
    days = [day for day in journal.days if day.phase == phase]
    if not days:
        return None
    middle = days[len(days) // 2].start if len(days) > 1 else (days[0].start + days[0].end) // 2
    return days[0].start, middle, days[-1].end


def _registry(account: str) -> str:
    return account.partition("/")[0]


def _home_instruments(scenario: Scenario, members: list[Member]) -> dict[str, str]:
    """Registry → the instrument its compliance entities trade at home."""
    return {m.registry: m.instrument for m in members if m.entity is not None}


def realised_problem(scenario: Scenario, members: list[Member], journal: DrillJournal, problem: PhaseProblem,
                     counted_before: dict[str, int]) -> PhaseProblem:
    """The phase's benchmark from what the markets held when it began (see the module docstring)."""
    starts = {o.member: o.position for o in journal.starts if o.phase == problem.phase}
    ends = {o.member: o.position for o in journal.outcomes if o.phase == problem.phase}
    if not starts:
        return problem
    by_registry: dict[str, list[Entity]] = defaultdict(list)
    stock: dict[str, Fraction] = defaultdict(Fraction)
    for member in members:
        held = starts.get(member.id)
        if held is None:
            continue
        if member.entity is None:  # what dealers sold on net in the phase reached the entities
            stock[member.registry] += held - ends.get(member.id, held)
            continue
        fx = scenario.fx[scenario.instrument(member.instrument).currency]
        by_registry[member.registry].append(Entity(slope=member.entity.slope * fx,
                                                   baseline=Fraction(member.entity.baseline),
                                                   allocation=Fraction(held)))
    markets = tuple(Market(m.id, tuple(by_registry[m.id]) or m.entities, stock[m.id]) for m in problem.markets)
    used = {arc: Fraction(n) for arc, n in counted_before.items()}
    phase = next(p for p in scenario.phases if p.name == problem.phase)
    realised, _ = phase_problem(scenario, phase, markets, link_used=used, share_used=used)
    return realised


def compute_metrics(scenario: Scenario, members: list[Member], journal: DrillJournal) -> DrillMetrics:
    instruments = {i.id: i for i in scenario.instruments}
    home = _home_instruments(scenario, members)
    phases, flows = [], []
    counted_before: dict[str, int] = journal.quota_at_start
    planned = phase_problems(scenario)
    problems = []
    for plan in planned:
        window = phase_window(journal, plan.phase)
        if window is None:
            continue
        problem = realised_problem(scenario, members, journal, plan, counted_before)
        problems.append(problem)
        equilibrium = solve(problem.markets, problem.arcs)
        in_phase = [t for t in journal.trades if window[0] <= t.at <= window[2]]
        delivered = [t for t in in_phase if t.refused is None]
        second_half = [t for t in delivered if t.at >= window[1]]
        result = PhaseResult(problem.phase, notes=problem.notes, busted=len(in_phase) - len(delivered),
                             busted_tonnes=sum(t.quantity for t in in_phase if t.refused is not None))
        costs = _simulated_costs(scenario, members, journal, problem.phase, delivered)
        for registry, instrument_id in home.items():
            outcome = equilibrium.markets.get(registry)
            if outcome is None:
                continue
            currency = instruments[instrument_id].currency
            scale = Fraction(10) ** minor_digits(currency) / scenario.fx[currency]
            bench = float(outcome.price * scale)
            mine = [t for t in delivered if t.instrument == instrument_id]
            simulated, basis = _phase_price(scenario, problem, equilibrium, registry, instrument_id, currency,
                                            second_half)
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


def _phase_price(scenario: Scenario, problem: PhaseProblem, equilibrium: Equilibrium, registry: str,
                 instrument_id: str, currency: str, trades: list[TradeRecord]) -> tuple[float | None, str]:
    """Local minor units per credited tonne over the market's home trades and its accounts' imports together.

    Imports over an arc whose cap binds in the benchmark are left out: there the importer pays the exporter's
    price and keeps the cap's scarcity rent, so what it pays is not its market's price."""
    rates = {arc.origin: arc.rate for arc in problem.arcs
             if arc.destination == registry and not equilibrium.arcs[arc.id].binding}
    paid = credited = 0.0
    kinds = set()
    for trade in trades:
        instrument = scenario.instrument(trade.instrument)
        if trade.instrument == instrument_id:
            paid, credited = paid + trade.price * trade.quantity, credited + trade.quantity
            kinds.add("home")
        elif _registry(trade.buy_account) == registry and instrument.registry in rates:
            to_local = (scenario.fx[instrument.currency] / scenario.fx[currency]
                        * Fraction(10) ** (minor_digits(currency) - minor_digits(instrument.currency)))
            paid += float(trade.price * trade.quantity * to_local)
            credited += float(trade.quantity * rates[instrument.registry])
            kinds.add("imports")
    if not credited:
        return None, ""
    return paid / credited, " and ".join(sorted(kinds))


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


def _abatement_cost(scenario: Scenario, member: Member, position: int) -> float:
    """Abatement cost (reporting currency) of an entity holding ``position`` units: what they leave uncovered."""
    entity = member.entity
    assert entity is not None
    slope = entity.slope * scenario.fx[scenario.instrument(member.instrument).currency]
    return float(slope * max(0, entity.baseline - position) ** 2 / 2)


def _efficiency(scenario: Scenario, members: list[Member], journal: DrillJournal, phase: str,
                equilibrium: Equilibrium) -> tuple[float | None, float | None, float]:
    entities = {m.id: m for m in members if m.entity is not None}
    starts = {o.member: o.position for o in journal.starts if o.phase == phase and o.member in entities}
    ends = {o.member: o.position for o in journal.outcomes if o.phase == phase and o.member in entities}
    if not starts:
        starts = {key: m.entity.allocation for key, m in entities.items()}  # type: ignore[union-attr]
    no_trade = sum(_abatement_cost(scenario, entities[key], held) for key, held in starts.items())
    benchmark_gain = no_trade - sum(float(m.abatement_cost) for m in equilibrium.markets.values())
    if not ends:
        return None, None, benchmark_gain
    gain = no_trade - sum(_abatement_cost(scenario, entities[key], held) for key, held in ends.items())
    if benchmark_gain <= 1e-9 * max(1.0, no_trade):
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
        costs[outcome.registry] += _abatement_cost(scenario, by_account[outcome.account], outcome.position)
    for trade in trades:
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
    """Origin tonnes delivered across each link direction; busted trades (refused by the bridge) apart."""
    moved: dict[tuple[str, str], int] = defaultdict(int)
    busted: dict[tuple[str, str], int] = defaultdict(int)
    for trade in trades:
        origin = scenario.instrument(trade.instrument).registry
        destination = _registry(trade.buy_account)
        if trade.buy_account and destination != origin:
            (moved if trade.refused is None else busted)[(origin, destination)] += trade.quantity
    results = []
    for arc in problem.arcs:
        key = (arc.origin, arc.destination)
        tonnes = moved.pop(key, 0)
        results.append(FlowResult(problem.phase, arc.id, tonnes, math.floor(tonnes * arc.rate),
                                  None if arc.cap is None else float(arc.cap),
                                  float(equilibrium.arcs[arc.id].flow),
                                  None if counted is None else counted.get(arc.id, 0),
                                  None if arc.cap is None else float(arc.cap * arc.rate), busted.pop(key, 0)))
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
