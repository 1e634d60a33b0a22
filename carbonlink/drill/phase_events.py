"""What happens at a drill's phase boundaries, through the operator API: links change state, allocations arrive,
a link the phase suspends is suspended intraday while orders rest (the Ontario 2018 shock), and at a phase's
end each compliance entity's verified emissions are recorded and units surrendered against them.

- Entering a phase: every link whose state changes is activated with the phase's terms, updated, or (before
  the first phase) suspended; a link that goes from active to suspended is left for :meth:`suspend`, and
  until then the traders keep the previous phase's foreign venues. Each entity gets its allocation.
- An intraday suspension: the drill counts the foreign orders resting on the link's markets, suspends the
  link and (policy ``cancel``) mass-cancels them, waits until the exchange has processed it, and records
  how many ended CANCELLED.
- A phase's end: the bridge's link counters, each entity's position (units held, from the ledger) and its
  compliance: emissions = baseline less abatement (its position, at most its baseline), surrendered from
  home units first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx

from carbonlink.drill.apply import SetupError, call_api
from carbonlink.drill.journal import EntityOutcome, LinkEvent
from carbonlink.drill.quota_room import phase_rules
from carbonlink.drill.scenario import Phase
from carbonlink.drill.schedule import LinkChange
from carbonlink.drill.setup_plan import ApiCall, Member, allocation_calls, link_terms, unit_asset
from carbonlink.drill.order_terms import Venue
from carbonlink.drill.traders import ComplianceTrader
from carbonlink.link_commands import run_link_command
from shared import market_keys as mk
from shared.ledger.views import text

if TYPE_CHECKING:
    from carbonlink.drill.runner import _Drill

__all__ = ["PhaseEvents"]


class PhaseEvents:
    def __init__(self, drill: _Drill, operator: httpx.AsyncClient) -> None:
        self.drill, self.operator = drill, operator

    async def enter_phase(self, previous: Phase | None, phase: Phase, changes: list[LinkChange]) -> list[LinkChange]:
        """Apply the phase's link changes and allocations; returns the suspensions left for intraday."""
        drill, scenario = self.drill, self.drill.scenario
        suspensions = []
        for change in changes:
            linkage, new = change.linkage, change.after.state
            if new in ("restricted", "full"):
                await call_api(self.operator, ApiCall("POST", "/v1/admin/links",
                                                      link_terms(scenario, linkage, change.after)))
                action = "activate" if change.before.state not in ("restricted", "full") else "update"
            elif change.before.state in ("restricted", "full"):
                suspensions.append(change)
                continue
            elif previous is None:
                await run_link_command(self.operator, linkage.id, "suspend")
                action = "suspend"
            else:
                continue
            drill.journal.link_events.append(LinkEvent(phase.name, linkage.id, action, new, drill.now))
        if previous is not None:
            for call in allocation_calls(scenario, drill.members, phase):
                await call_api(self.operator, call)
        await drill.settle()
        await drill.observe(phase_start=True)
        self._record_positions(phase, "start")
        # until an intraday suspension, the links of the phase before stay open to the traders
        self.open_foreign_venues(previous if suspensions and previous is not None else phase)
        return suspensions

    async def suspend(self, change: LinkChange, phase: Phase) -> None:
        """Suspend a link while orders rest; count the foreign resting orders and those cancelled."""
        drill = self.drill
        assert drill.state is not None
        linkage = change.linkage
        registries = set(linkage.registries)
        homes = {i.id: i.registry for i in drill.scenario.instruments}
        resting = sorted(o.order_id for o in drill.state.open_orders.values()
                         if o.registry in registries and homes[o.instrument] in registries
                         and homes[o.instrument] != o.registry)
        await run_link_command(self.operator, linkage.id, "suspend")
        cancelled, final = None, None
        if linkage.suspension.resting_orders == "cancel":
            for instrument in drill.scenario.instruments:
                if instrument.registry not in registries:
                    continue
                for foreign in sorted(registries - {instrument.registry}):
                    await call_api(self.operator, ApiCall("POST", "/v1/admin/mass-cancel",
                                                          {"instrument": instrument.id, "registry": foreign}))
                drill.state.cancelling(instrument=instrument.id, registries=registries - {instrument.registry})
            await drill.settle()
            states = await self._statuses(resting)
            cancelled = sum(1 for s in states if s == mk.CANCELLED)
            final = dict(Counter(states))
        drill.journal.link_events.append(LinkEvent(phase.name, linkage.id, "suspend", change.after.state, drill.now,
                                                   resting_foreign=len(resting), cancelled=cancelled,
                                                   final_states=final))
        self.open_foreign_venues(phase)

    async def _statuses(self, order_ids: list[str]) -> list[str]:
        assert self.drill.state is not None
        pipe = self.drill.state.client.pipeline(transaction=False)
        for order_id in order_ids:
            pipe.hget(mk.order_state(order_id), "status")
        return [text(s) if s else "" for s in await pipe.execute()]

    def open_foreign_venues(self, phase: Phase) -> None:
        """The foreign venues (and link rules) open to the traders: ``phase``'s. A venue abroad takes no order
        below its link's minimum fill (rounded up to the lot), as order entry refuses one."""
        drill = self.drill
        drill.link_phase = phase
        homes = {m.registry: m.instrument for m in drill.members if m.entity is not None}
        currencies = {registry: drill.scenario.instrument(i).currency for registry, i in homes.items()}
        rules = phase_rules(drill.scenario, phase)
        abroad: dict[str, list[Venue]] = {}
        for arc in drill.problems[phase.name].arcs:
            if arc.origin in homes and arc.destination in homes:
                venue = drill.venue(homes[arc.origin], local_currency=currencies[arc.destination], credit=arc.rate)
                least = rules[(arc.origin, arc.destination)].min_fill if (arc.origin, arc.destination) in rules else 1
                least = -(-least // venue.lot) * venue.lot
                abroad.setdefault(arc.destination, []).append(replace(venue, min_qty=max(venue.min_qty, least)))
        drill.floor.abroad = abroad

    def _record_positions(self, phase: Phase, moment: str) -> None:
        drill = self.drill
        for agent in drill.agents:
            logic, member = agent.logic, agent.member
            held = logic.position if isinstance(logic, ComplianceTrader) else logic.units
            outcomes = drill.journal.outcomes if moment == "end" else drill.journal.starts
            outcomes.append(EntityOutcome(phase.name, member.id, member.account, member.registry, held))

    async def end_phase(self, phase: Phase) -> None:
        drill = self.drill
        assert drill.state is not None
        await drill.settle()
        await drill.observe()
        drill.journal.quota_counted[phase.name] = await drill.state.link_counters(drill.periods)
        self._record_positions(phase, "end")
        for agent in drill.agents:
            logic, member = agent.logic, agent.member
            if isinstance(logic, ComplianceTrader) and member.entity is not None:
                await self._comply(member, phase, emissions=min(member.entity.baseline, max(0, logic.position)))
        await drill.settle()

    async def _comply(self, member: Member, phase: Phase, *, emissions: int) -> None:
        """Record the verified emissions (baseline less abatement) and surrender units against them."""
        drill = self.drill
        record: dict[str, Any] = {"phase": phase.name, "account": member.id, "emissions": emissions,
                                  "surrendered": 0, "errors": []}
        try:
            await call_api(self.operator, ApiCall("POST", "/v1/admin/emissions",
                                                  {"account": member.account, "period": phase.name,
                                                   "tonnes": emissions}))
            view = await call_api(self.operator, ApiCall("GET", f"/v1/accounts/{member.account}", {}))
            home = unit_asset(drill.scenario, member.instrument)
            lines = sorted(view["holdings"], key=lambda line: (line["asset"] != home, line["asset"]))
            for line in lines:
                quantity = min(line["available"], emissions - record["surrendered"])
                if quantity <= 0:
                    continue
                try:
                    await call_api(self.operator, ApiCall("POST", "/v1/admin/surrenders", {
                        "account": member.account, "origin": line["origin"], "unit_type": line["unit_type"],
                        "vintage": line["vintage"], "quantity": quantity, "period": phase.name}))
                    record["surrendered"] += quantity
                except SetupError as err:
                    record["errors"].append(err.body[:200])
        except SetupError as err:
            record["errors"].append(err.body[:200])
        drill.journal.compliance.append(record)
