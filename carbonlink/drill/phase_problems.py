"""From a scenario to the equilibrium solver's inputs, one problem per phase.

- One solver market per registry with compliance entities; MAC slopes are converted to the
  reporting currency, so the solver's prices are in reporting-currency units per tonne (divide by
  the registry's fx rate for local prices).
- One arc per direction a linkage allows in the phase. Its rate is the exchange rate times
  (1 − discount) times (1 − levy_share − cancellation_share): the units that count for the buyer.
- ``full``: no quantitative caps. ``restricted``: the tightest of the per-period cap, the link's
  share of obligation and the importing registry's foreign-unit limit, all counted in units credited
  in the importing registry; the obligation is taken as the importers' baseline emissions. Caps are
  per direction and per phase. The registry limit is applied to each incoming arc separately, so with
  several incoming links the benchmark is looser than the rule. Per-account caps are not modelled.
  A phase's cap overrides replace only the cap fields they name.
- ``absent``, ``autarky`` and ``suspended`` carry nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from carbonlink.drill.entities import compliance_entities
from carbonlink.drill.equilibrium import Arc, Entity, Market
from carbonlink.drill.scenario import Linkage, LinkState, Scenario

__all__ = ["PhaseProblem", "phase_problems"]


@dataclass(frozen=True)
class PhaseProblem:
    phase: str
    markets: tuple[Market, ...]
    arcs: tuple[Arc, ...]


def phase_problems(scenario: Scenario) -> list[PhaseProblem]:
    """The solver's markets and arcs for each phase, in timeline order."""
    entities_by_registry: dict[str, list[Entity]] = {}
    for entity in compliance_entities(scenario):
        fx = scenario.fx[scenario.registry(entity.registry).currency]
        entities_by_registry.setdefault(entity.registry, []).append(
            Entity(slope=entity.slope * fx, baseline=Fraction(entity.baseline), allocation=Fraction(entity.allocation))
        )
    markets = tuple(Market(key, tuple(entities)) for key, entities in entities_by_registry.items())
    obligations = {market.id: sum((e.baseline for e in market.entities), Fraction(0)) for market in markets}
    problems = []
    for phase in sorted(scenario.phases, key=lambda phase: phase.start_day):
        arcs = []
        for linkage in scenario.linkages:
            state = scenario.link_state(phase, linkage)
            if state.state not in ("restricted", "full"):
                continue
            for origin, destination, exchange_rate in linkage.directions():
                if origin not in obligations or destination not in obligations:
                    continue
                rate = _rate(linkage, state, origin, destination, exchange_rate)
                cap = None
                if state.state == "restricted":
                    cap = _credited_cap(scenario, linkage, state, destination, obligations[destination])
                arcs.append(
                    Arc(
                        f"{linkage.id}:{origin}>{destination}",
                        origin,
                        destination,
                        rate=rate,
                        cap=cap / rate if cap is not None else None,
                    )
                )
        problems.append(PhaseProblem(phase=phase.name, markets=markets, arcs=tuple(arcs)))
    return problems


def _rate(linkage: Linkage, state: LinkState, origin: str, destination: str, exchange_rate: Fraction) -> Fraction:
    if state.exchange_rate is not None:
        exchange_rate = state.exchange_rate if origin == linkage.from_ else 1 / state.exchange_rate
    discount = state.discount if state.discount is not None else linkage.discount
    return exchange_rate * (1 - discount) * (1 - linkage.levy_share - linkage.cancellation_share)


def _credited_cap(
    scenario: Scenario, linkage: Linkage, state: LinkState, destination: str, obligation: Fraction
) -> Fraction | None:
    caps = linkage.caps
    if state.caps is not None:
        caps = caps.model_copy(update=state.caps.model_dump(exclude_unset=True))
    candidates = []
    if caps.per_period is not None:
        candidates.append(Fraction(caps.per_period))
    if caps.share_of_obligation is not None:
        candidates.append(caps.share_of_obligation * obligation)
    foreign_limit = scenario.registry(destination).foreign_limit
    if foreign_limit is not None:
        candidates.append(foreign_limit * obligation)
    return min(candidates) if candidates else None
