"""A phase's prices beside the benchmark: the benchmark from what the markets held when the phase began, the
simulated price (home trades and imports per credited tonne), the band's reach, and the price ratios of linked
markets."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from fractions import Fraction

from carbonlink.drill.equilibrium import Entity, Equilibrium, Market
from carbonlink.drill.journal import DrillJournal, TradeRecord
from carbonlink.drill.metrics_results import PhaseResult, phase_window, registry_of, to_reporting
from carbonlink.drill.phase_problems import PhaseProblem, phase_problem, suspended_intraday
from carbonlink.drill.scenario import Scenario
from carbonlink.drill.setup_plan import Member, minor_price
from shared.money import minor_digits


def realised_problem(scenario: Scenario, members: list[Member], journal: DrillJournal, problem: PhaseProblem,
                     counted_before: dict[str, int]) -> PhaseProblem:
    """The phase's benchmark from what the markets held when it began (see `carbonlink.drill.metrics`), and
    what crossed a link the phase suspends before its suspension, both taken as given."""
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
    crossed = crossed_before_suspension(scenario, journal, problem.phase, counted_before)
    for (origin, destination), (tonnes, credited) in crossed.items():
        stock[origin] -= tonnes
        stock[destination] += credited
    markets = tuple(Market(m.id, tuple(by_registry[m.id]) or m.entities, stock[m.id]) for m in problem.markets)
    used = {arc: Fraction(n) for arc, n in counted_before.items()}
    phase = next(p for p in scenario.phases if p.name == problem.phase)
    realised, _ = phase_problem(scenario, phase, markets, link_used=used, share_used=used)
    notes = [note for note in problem.notes if note not in realised.notes]
    notes += [f"{origin}>{destination}: {tonnes} t crossed before the suspension ({float(credited):.0f} credited)"
              for (origin, destination), (tonnes, credited) in crossed.items() if tonnes]
    return replace(realised, notes=realised.notes + tuple(notes))


def crossed_before_suspension(scenario: Scenario, journal: DrillJournal, phase: str,
                              counted_before: dict[str, int]) -> dict[tuple[str, str], tuple[int, Fraction]]:
    """Per direction of a link the phase suspends on its first day: tonnes delivered in the phase (all before the
    suspension) and the units credited for them (the bridge's counter, else tonnes × the rate until then)."""
    arcs = suspended_intraday(scenario, phase)
    window = phase_window(journal, phase)
    if not arcs or window is None:
        return {}
    counted_now = journal.quota_counted.get(phase)
    crossed = {}
    for (origin, destination), (arc_id, rate) in arcs.items():
        tonnes = sum(t.quantity for t in journal.trades
                     if window[0] <= t.at <= window[2] and t.refused is None
                     and scenario.instrument(t.instrument).registry == origin and registry_of(t.buy_account) == destination)
        credited = tonnes * rate
        if counted_now is not None and arc_id in counted_now:
            credited = Fraction(counted_now[arc_id] - counted_before.get(arc_id, 0))
        crossed[(origin, destination)] = (tonnes, credited)
    return crossed


def phase_price(scenario: Scenario, problem: PhaseProblem, equilibrium: Equilibrium, registry: str,
                 instrument_id: str, currency: str, trades: list[TradeRecord],
                 held_down: frozenset[str]) -> tuple[float | None, str]:
    """Local minor units per credited tonne over the market's home trades and its accounts' imports together.

    Imports over an arc whose cap binds in the benchmark are left out: there the importer pays the exporter's
    price and keeps the cap's scarcity rent, so what it pays is not its market's price. So are imports from a
    market in ``held_down`` (its band holds it below its unconstrained price): the importer keeps the band's
    rent the same way."""
    rates = {arc.origin: arc.rate for arc in problem.arcs
             if arc.destination == registry and not equilibrium.arcs[arc.id].binding and arc.origin not in held_down}
    paid = credited = 0.0
    kinds = set()
    for trade in trades:
        instrument = scenario.instrument(trade.instrument)
        if trade.instrument == instrument_id:
            paid, credited = paid + trade.price * trade.quantity, credited + trade.quantity
            kinds.add("home")
        elif registry_of(trade.buy_account) == registry and instrument.registry in rates:
            to_local = (scenario.fx[instrument.currency] / scenario.fx[currency]
                        * Fraction(10) ** (minor_digits(currency) - minor_digits(instrument.currency)))
            paid += float(trade.price * trade.quantity * to_local)
            credited += float(trade.quantity * rates[instrument.registry])
            kinds.add("imports")
    if not credited:
        return None, ""
    return paid / credited, " and ".join(sorted(kinds))


def band_reach(scenario: Scenario, journal: DrillJournal, instrument_id: str, phase: str,
                start: int) -> tuple[float, float] | None:
    instrument = scenario.instrument(instrument_id)
    if instrument.band is None:
        return None
    before = [t for t in journal.trades if t.instrument == instrument_id and t.at < start]
    close = max(before, key=lambda t: t.at).price if before else minor_price(scenario, instrument_id)
    days = sum(1 for day in journal.days if day.phase == phase)
    band = float(instrument.band)
    return close * (1 - band) ** days, close * (1 + band) ** days


def convergence(scenario: Scenario, problem: PhaseProblem, result: PhaseResult) -> dict[str, tuple[float | None, float]]:
    """For each linked pair of markets in the phase: price ratio (reporting currency), simulated and benchmark."""
    pairs = {}
    for arc in problem.arcs:
        a, b = sorted((arc.origin, arc.destination))
        if a not in result.markets or b not in result.markets:
            continue
        ma, mb = result.markets[a], result.markets[b]
        ca, cb = (scenario.instrument(m.instrument).currency for m in (ma, mb))
        bench_a, bench_b = to_reporting(scenario, ca, ma.benchmark_minor), to_reporting(scenario, cb, mb.benchmark_minor)
        simulated = None
        if ma.simulated_minor and mb.simulated_minor:
            simulated = to_reporting(scenario, ca, ma.simulated_minor) / to_reporting(scenario, cb, mb.simulated_minor)
        pairs[f"{a}/{b}"] = (simulated, bench_a / bench_b if bench_b else math.nan)
    return pairs
