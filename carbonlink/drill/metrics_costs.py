"""A phase's costs: the entities' abatement cost at their positions, what they paid net for units, and the
allocative efficiency against no trade and the benchmark."""

from __future__ import annotations

from collections import defaultdict

from carbonlink.drill.equilibrium import Equilibrium
from carbonlink.drill.journal import DrillJournal, TradeRecord
from carbonlink.drill.metrics_results import to_reporting
from carbonlink.drill.scenario import Scenario
from carbonlink.drill.setup_plan import Member


def _abatement_cost(scenario: Scenario, member: Member, position: int) -> float:
    """Abatement cost (reporting currency) of an entity holding ``position`` units: what they leave uncovered."""
    entity = member.entity
    assert entity is not None
    slope = entity.slope * scenario.fx[scenario.instrument(member.instrument).currency]
    return float(slope * max(0, entity.baseline - position) ** 2 / 2)


def efficiency(scenario: Scenario, members: list[Member], journal: DrillJournal, phase: str,
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


def simulated_costs(scenario: Scenario, members: list[Member], journal: DrillJournal, phase: str,
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
        paid = to_reporting(scenario, currency, trade.price * trade.quantity)
        if trade.buy_account in by_account:
            costs[by_account[trade.buy_account].registry] += paid
        if trade.sell_account in by_account:
            costs[by_account[trade.sell_account].registry] -= paid
    return dict(costs)
