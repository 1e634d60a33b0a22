"""From a scenario to the equilibrium solver's inputs, one problem per phase, with the limits the
bridge and the registries really apply.

- One solver market per registry with compliance entities; MAC slopes are converted to the
  reporting currency, so the solver's prices are in reporting-currency units per tonne (divide by
  the registry's fx rate for local prices).
- One arc per direction a linkage allows in the phase. Its rate is the exchange rate times
  (1 − discount) times (1 − levy_share − cancellation_share): the units that count for the buyer.
- Caps, all counted in units credited in the importing registry and per direction:
  - ``restricted``: the link's per-period cap and share of obligation (the obligation is the
    importers' baseline emissions, as the runner records it for the bridge);
  - ``restricted`` and ``full``: the importing registry's foreign-unit limit (a surrender limit that
    holds whatever the link's terms);
  - the bridge counts per compliance period = calendar year of business time, and a drill runs inside
    one such period: its link counter grows in every active phase (capped or not), its obligation
    counter in every phase with a share limit. So a phase's cap is what the benchmark flows of the
    earlier phases left of it (the equilibrium of each phase is solved in timeline order).
- What the solver cannot express is approximated and listed in the problem's ``notes`` (the report
  shows them): a registry limit with several incoming arcs is applied to each arc; the bridge's
  obligation counter is per buyer across links but is tracked per arc.
- A per-account cap (units one account may import over the arc in the bridge's year) is modelled in aggregate:
  every importing entity may take up to it, and what the arc delivered earlier in the year went to them, so
  the arc carries at most ``per_account × entities − used`` (exact as long as an entity with room left may
  import more than it needs and sell its home units to the others). Each problem lists
  its per-account caps (:class:`AccountCap`); the drill's metrics say whether one binds and by how much.
- A phase's cap overrides replace only the cap fields they name.
- ``absent``, ``autarky`` and ``suspended`` carry nothing. A link the phase suspends intraday (it was
  active in the phase before) still carries trades until the suspension: the planned benchmark treats it
  as suspended for the whole phase; the realised one (``carbonlink.drill.metrics_prices``) takes what
  crossed before the suspension as given, like the positions the phase starts from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

from carbonlink.drill.entities import compliance_entities
from carbonlink.drill.equilibrium import Arc, Entity, Market, solve
from carbonlink.drill.scenario import Caps, Linkage, LinkState, Phase, Scenario
from carbonlink.drill.schedule import SUSPEND_AT

__all__ = ["AccountCap", "PhaseProblem", "linkage_terms_in", "phase_problem", "phase_problems", "scenario_markets",
           "suspended_intraday"]


@dataclass(frozen=True)
class AccountCap:
    """An arc's per-account cap as the benchmark models it (credited units): ``per_account`` a year for each of
    ``entities`` importing entities, ``used`` of it delivered earlier in the year, ``room`` left; ``others``:
    the tightest of the arc's other caps (None: it has none)."""

    arc: str
    per_account: int
    entities: int
    used: Fraction
    room: Fraction
    others: Fraction | None

    @property
    def tightest(self) -> bool:
        return self.others is None or self.room < self.others


@dataclass(frozen=True)
class PhaseProblem:
    phase: str
    markets: tuple[Market, ...]
    arcs: tuple[Arc, ...]
    notes: tuple[str, ...] = ()
    account_caps: tuple[AccountCap, ...] = ()


def scenario_markets(scenario: Scenario) -> tuple[Market, ...]:
    """One solver market per registry with compliance entities, as the scenario allocates them."""
    entities_by_registry: dict[str, list[Entity]] = {}
    for entity in compliance_entities(scenario):
        fx = scenario.fx[scenario.registry(entity.registry).currency]
        entities_by_registry.setdefault(entity.registry, []).append(
            Entity(slope=entity.slope * fx, baseline=Fraction(entity.baseline), allocation=Fraction(entity.allocation))
        )
    return tuple(Market(key, tuple(entities)) for key, entities in entities_by_registry.items())


def phase_problems(scenario: Scenario) -> list[PhaseProblem]:
    """The solver's markets and arcs for each phase as planned, in timeline order: allocations as the scenario
    gives them, and a cap the bridge counts per year left as the benchmark flows of earlier phases leave it."""
    markets = scenario_markets(scenario)
    link_used: dict[str, Fraction] = defaultdict(Fraction)  # arc id → credited units the bridge counted so far
    share_used: dict[str, Fraction] = defaultdict(Fraction)
    problems, previous = [], None
    for phase in sorted(scenario.phases, key=lambda phase: phase.start_day):
        problem, shared_arcs = phase_problem(scenario, phase, markets, link_used=link_used, share_used=share_used)
        problem = replace(problem, notes=problem.notes + _suspended_intraday(scenario, previous, phase))
        previous = phase
        if problem.arcs:
            equilibrium = solve(markets, problem.arcs)
            for arc in problem.arcs:
                credited = equilibrium.arcs[arc.id].flow * arc.rate
                link_used[arc.id] += credited
                if arc.id in shared_arcs:
                    share_used[arc.id] += credited
        problems.append(problem)
    return problems


def _suspended_intraday(scenario: Scenario, previous: Phase | None, phase: Phase) -> tuple[str, ...]:
    if previous is None:
        return ()
    return tuple(f"{linkage.id}: active until its suspension at {SUSPEND_AT:.0%} of the phase's first day; "
                 "what crossed until then is taken as given in the benchmark"
                 for linkage in scenario.linkages
                 if scenario.link_state(phase, linkage).state == "suspended"
                 and scenario.link_state(previous, linkage).state in ("restricted", "full"))


def suspended_intraday(scenario: Scenario, phase_name: str) -> dict[tuple[str, str], tuple[str, Fraction]]:
    """The directions of the links the phase suspends on its first day (active in the phase before):
    (origin, destination) → (arc id, the rate units counted at until the suspension)."""
    ordered = sorted(scenario.phases, key=lambda p: p.start_day)
    index = next(i for i, p in enumerate(ordered) if p.name == phase_name)
    if index == 0:
        return {}
    phase, previous = ordered[index], ordered[index - 1]
    found = {}
    for linkage in scenario.linkages:
        before = scenario.link_state(previous, linkage)
        if scenario.link_state(phase, linkage).state != "suspended" or before.state not in ("restricted", "full"):
            continue
        for origin, destination, exchange_rate in linkage.directions():
            found[(origin, destination)] = (f"{linkage.id}:{origin}>{destination}",
                                            _rate(linkage, before, origin, destination, exchange_rate))
    return found


def phase_problem(scenario: Scenario, phase: Phase, markets: tuple[Market, ...], *,
                  link_used: Mapping[str, Fraction], share_used: Mapping[str, Fraction]) -> tuple[PhaseProblem, set[str]]:
    """One phase's problem given its markets and the credited units the bridge already counted per arc (link
    caps, share-of-obligation caps); also the arcs whose share-of-obligation cap counts."""
    obligations = {market.id: sum((e.baseline for e in market.entities), Fraction(0)) for market in markets}
    importers = {market.id: len(market.entities) for market in markets}
    arcs, notes, shared_arcs, account_caps = [], [], set(), []
    incoming: dict[str, int] = defaultdict(int)
    for linkage in scenario.linkages:
        state = scenario.link_state(phase, linkage)
        if state.state not in ("restricted", "full"):
            continue
        caps = _caps(linkage, state)
        for origin, destination, exchange_rate in linkage.directions():
            if origin not in obligations or destination not in obligations:
                continue
            arc_id = f"{linkage.id}:{origin}>{destination}"
            rate = _rate(linkage, state, origin, destination, exchange_rate)
            candidates = []
            if caps.per_period is not None:
                candidates.append(max(Fraction(0), caps.per_period - link_used.get(arc_id, Fraction(0))))
            if caps.share_of_obligation is not None:
                candidates.append(max(Fraction(0), caps.share_of_obligation * obligations[destination]
                                      - share_used.get(arc_id, Fraction(0))))
                shared_arcs.add(arc_id)
            foreign_limit = scenario.registry(destination).foreign_limit
            if foreign_limit is not None:
                candidates.append(foreign_limit * obligations[destination])
                incoming[destination] += 1
            if caps.per_account is not None:
                used = link_used.get(arc_id, Fraction(0))
                room = max(Fraction(0), caps.per_account * importers[destination] - used)
                account_caps.append(AccountCap(arc_id, caps.per_account, importers[destination], used, room,
                                               min(candidates) if candidates else None))
                candidates.append(room)
            cap = min(candidates) if candidates else None
            arcs.append(Arc(arc_id, origin, destination, rate=rate, cap=cap / rate if cap is not None else None))
    notes += [f"{registry}: its foreign-unit limit is applied to each of its {count} incoming arcs separately "
              f"(the benchmark is looser than the rule)" for registry, count in incoming.items() if count > 1]
    return PhaseProblem(phase=phase.name, markets=markets, arcs=tuple(arcs), notes=tuple(notes),
                        account_caps=tuple(account_caps)), shared_arcs


def linkage_terms_in(linkage: Linkage, state: LinkState) -> Linkage:
    """The agreement with a restricted state's conversion overrides applied (an overridden rate alone
    converts back at its inverse)."""
    rate = state.exchange_rate if state.exchange_rate is not None else linkage.exchange_rate
    reverse = state.reverse_exchange_rate
    if reverse is None and state.exchange_rate is None:
        reverse = linkage.reverse_exchange_rate
    return linkage.model_copy(update={"exchange_rate": rate, "reverse_exchange_rate": reverse})


def _caps(linkage: Linkage, state: LinkState) -> Caps:
    if state.state == "full":
        return Caps()
    if state.caps is not None:
        return linkage.caps.model_copy(update=state.caps.model_dump(exclude_unset=True))
    return linkage.caps


def _rate(linkage: Linkage, state: LinkState, origin: str, destination: str, exchange_rate: Fraction) -> Fraction:
    if state.exchange_rate is not None or state.reverse_exchange_rate is not None:
        terms = linkage_terms_in(linkage, state)
        exchange_rate = terms.exchange_rate if origin == linkage.from_ else terms.reverse_rate
    discount = state.discount if state.discount is not None else linkage.discount
    return exchange_rate * (1 - discount) * (1 - linkage.levy_share - linkage.cancellation_share)
