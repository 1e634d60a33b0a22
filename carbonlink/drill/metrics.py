"""What a drill's journal says about the economics, pure: simulated prices beside the analytical
benchmark, allocative efficiency, cross-border flows and quota use, convergence between linked markets,
compliance cost per market, and the net flow standing across a link when it was suspended.

- The benchmark of a phase starts from what the markets hold when it begins: each entity's units after
  its allocation (what it carried over included), what the dealers sold on net to the market in the phase,
  and the link caps the bridge's own counters left for the period; a link the phase suspends on its first
  day carried trades until then, and what crossed (tonnes out, units credited) is taken as given too. So
  the efficiency cannot exceed 100% beyond rounding.
- Simulated price of a phase: the volume-weighted price of the phase's second half (trading days) over
  the market's home trades and its accounts' imports per credited tonne (converted to its currency)
  together; busted trades (matched, then refused by the bridge) are left out, and so are trades between two
  dealers (market makers, noise traders): the benchmark's agents are the compliance entities, and dealers end
  each phase flat, so their prints among themselves say where they quote, not where the entities clear. A
  market with neither trades at its last home trade of the phase; ``price_basis`` says which. Imports over a link whose cap
  binds in the benchmark are left out: the importer pays the exporter's price there, and keeps the rent; so
  are imports from an exporter its band holds below its unconstrained price (the same rent, kept by whoever
  buys the units the band holds back).
- Band reach of a phase (markets with a daily band): the prices the band lets a market reach in the
  phase's days from the close before it, each day's band around the previous close; an equilibrium
  outside it cannot be reached, whatever the traders do. Prices are therefore judged against the
  band-constrained equilibrium (`carbonlink.drill.equilibrium_bands`): a market whose price lies outside
  its reach is held at the bound, abates as at it, and the linked markets clear around what it holds back.
  A band limits the price of the market's own units, and imports trade on the origin's book, so only a
  market whose units are what it trades (no net imports in the unconstrained equilibrium: an exporter, or a
  market on its own) is held; a net importer follows the linked price. A market held, or whose benchmark
  lies outside its reach all the same (an importer's home book), is flagged band-limited. The
  unconstrained equilibrium and the error against it stay beside it.
- Efficiency of a phase: (no-trade cost − realised cost) / (no-trade cost − benchmark cost), where a
  cost is total abatement cost: with no trade every entity abates what its phase-start units leave
  uncovered; realised, what its end-of-phase units leave uncovered; the benchmark is the unconstrained
  equilibrium's (bands are no reason to call a lost gain efficient). Compliance costs, the imports a price
  leaves out and the flows' benchmark are the unconstrained equilibrium's too.
  None when the benchmark gains nothing over no trade.
- Flows: units delivered across each link direction (busted trades listed apart, with the bridge's reason),
  beside the unconstrained and the band-constrained benchmark flows. A cap *binds* when the band-constrained
  equilibrium (the one prices are judged against) carries the capped amount; a cap it does not reach is
  reported as not binding, and reaching it is no target.
- Quota utilisation: what the bridge's own link counter (units delivered, i.e. credited) rose by in
  the phase, over the phase's cap in credited units; None when uncapped or not counted.
- At each suspension: the net flow that had crossed the link each way (units left abroad), the
  foreign orders resting when it came and how many were cancelled, and for each market of the link
  whether its price moved back towards its autarky price (phase before → suspended phase).
- Money is reported in the scenario's reporting currency (major units) unless named ``*_minor``.

Modules: the results and journal readings in ``metrics_results``, prices and the benchmark in ``metrics_prices``,
costs and efficiency in ``metrics_costs``, flows and suspensions in ``metrics_flows``; this module computes them
all and re-exports the results.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from carbonlink.drill.equilibrium import Equilibrium, solve
from carbonlink.drill.equilibrium_bands import solve_within_reach
from carbonlink.drill.journal import DrillJournal
from carbonlink.drill.metrics_costs import efficiency, simulated_costs
from carbonlink.drill.metrics_flows import link_flows, suspension_gaps
from carbonlink.drill.metrics_prices import band_reach, convergence, phase_price, realised_problem
from carbonlink.drill.metrics_results import (DrillMetrics, FlowResult, MarketResult, PhaseResult, business_day,
                                              phase_window, vwap)
from carbonlink.drill.phase_problems import PhaseProblem, phase_problems
from carbonlink.drill.scenario import Scenario
from carbonlink.drill.setup_plan import Member
from shared.money import minor_digits

__all__ = ["MarketResult", "PhaseResult", "FlowResult", "DrillMetrics", "business_day", "compute_metrics", "vwap"]


def _home_instruments(scenario: Scenario, members: list[Member]) -> dict[str, str]:
    """Registry → the instrument its compliance entities trade at home."""
    return {m.registry: m.instrument for m in members if m.entity is not None}


def compute_metrics(scenario: Scenario, members: list[Member], journal: DrillJournal) -> DrillMetrics:
    instruments = {i.id: i for i in scenario.instruments}
    home = _home_instruments(scenario, members)
    dealers = {m.account for m in members if m.entity is None}
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
        reaches, scales = {}, {}
        for registry, instrument_id in home.items():
            currency = instruments[instrument_id].currency
            scales[registry] = Fraction(10) ** minor_digits(currency) / scenario.fx[currency]
            reach = band_reach(scenario, journal, instrument_id, problem.phase, window[0])
            if reach is not None and registry in equilibrium.markets:
                reaches[registry] = reach
        banded = solve_within_reach(problem.markets, problem.arcs, {
            registry: (Fraction(low) / scales[registry], Fraction(high) / scales[registry])
            for registry, (low, high) in reaches.items() if equilibrium.markets[registry].net_import <= 0})
        in_phase = [t for t in journal.trades if window[0] <= t.at <= window[2]]
        delivered = [t for t in in_phase if t.refused is None]
        second_half = [t for t in delivered if t.at >= window[1]
                       and not (t.buy_account in dealers and t.sell_account in dealers)]
        held_down = frozenset(m for m, bound in banded.clamped.items() if bound < equilibrium.markets[m].price)
        notes = problem.notes + _account_cap_notes(scenario, problem, equilibrium)
        result = PhaseResult(problem.phase, notes=notes, busted=len(in_phase) - len(delivered),
                             busted_tonnes=sum(t.quantity for t in in_phase if t.refused is not None))
        costs = simulated_costs(scenario, members, journal, problem.phase, delivered)
        for registry, instrument_id in home.items():
            outcome = equilibrium.markets.get(registry)
            if outcome is None:
                continue
            currency = instruments[instrument_id].currency
            bench = float(banded.equilibrium.markets[registry].price * scales[registry])
            free = float(outcome.price * scales[registry])
            mine = [t for t in delivered if t.instrument == instrument_id]
            simulated, basis = phase_price(scenario, problem, equilibrium, registry, instrument_id, currency,
                                            second_half, held_down)
            if simulated is None and mine:
                simulated, basis = float(max(mine, key=lambda t: t.at).price), "last trade"
            result.markets[registry] = MarketResult(
                registry, instrument_id, bench, simulated, _error(simulated, bench), sum(t.quantity for t in mine),
                len(mine), float(outcome.compliance_cost), costs.get(registry), reaches.get(registry), basis,
                band_limited=registry in banded.clamped or (registry in reaches and not
                                                             reaches[registry][0] <= bench <= reaches[registry][1]),
                unconstrained_minor=free,
                unconstrained_error_pct=_error(simulated, free))
        result.efficiency, result.realised_gain, result.benchmark_gain = efficiency(
            scenario, members, journal, problem.phase, equilibrium)
        result.convergence = convergence(scenario, problem, result)
        phases.append(result)
        counted_now = journal.quota_counted.get(problem.phase)
        counted = None if counted_now is None else {
            arc: value - counted_before.get(arc, 0) for arc, value in counted_now.items()}
        counted_before = counted_now if counted_now is not None else counted_before
        flows += link_flows(scenario, problem, equilibrium, banded.equilibrium, in_phase, counted)
    return DrillMetrics(phases, flows, suspension_gaps(scenario, journal, problems, phases))


def _account_cap_notes(scenario: Scenario, problem: PhaseProblem, equilibrium: Equilibrium) -> tuple[str, ...]:
    """What each per-account cap does to the phase's benchmark: nothing when another cap of the arc is tighter or
    the benchmark's flow stays below it, else the flow and the gain the benchmark would have without it."""
    notes = []
    for cap in problem.account_caps:
        arc = next(a for a in problem.arcs if a.id == cap.arc)
        head = (f"{cap.arc}: the per-account cap ({cap.per_account:,} t a year for each of {cap.entities} importing "
                f"entities, {float(cap.used):,.0f} t of it used earlier in the year) leaves {float(cap.room):,.0f} t")
        flow = equilibrium.arcs[arc.id].flow
        if not cap.tightest:
            notes.append(f"{head}; the link's other caps leave {float(cap.others):,.0f} t, so it does not bind")
            continue
        if flow * arc.rate < cap.room:
            notes.append(f"{head}; the benchmark carries {float(flow):,.0f} t, so it does not bind")
            continue
        looser = replace(arc, cap=None if cap.others is None else cap.others / arc.rate)
        without = solve(problem.markets, [looser if a.id == arc.id else a for a in problem.arcs])
        more = without.gain - equilibrium.gain
        notes.append(f"{head}, the tightest of its caps: without it the benchmark would carry "
                     f"{float(without.arcs[arc.id].flow):,.0f} t instead of {float(flow):,.0f} t and gain "
                     f"{float(more):,.0f} {scenario.reporting_currency} more"
                     + (f" ({float(more / equilibrium.gain):.1%})" if equilibrium.gain > 0 else ""))
    return tuple(notes)


def _error(simulated: float | None, benchmark: float) -> float | None:
    return None if simulated is None or benchmark == 0 else (simulated - benchmark) / benchmark * 100
