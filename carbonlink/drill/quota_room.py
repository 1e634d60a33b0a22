"""What the drill's traders may still buy across each link in a step: the exchange's quota counters of the
period (delivered and reserved, ``shared.read_models.linkage``) and the pure rules of ``shared.quota``.

Order entry refuses a cross-border buy its link cannot carry (with the bridge's code); the drill's traders do
not post one. Before each step the drill reads the counters, which count what resting orders have reserved;
as the step's traders decide in turn, each cross-border buy is cut to the headroom left (or dropped) and holds
its reservation for the next, since the step's orders are posted only after every trader has decided.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from carbonlink.drill.scenario import Phase, Scenario
from carbonlink.drill.setup_plan import link_terms
from shared.quota import QuotaState, QuotaTerms, largest_quantity, reserved_units
from shared.read_models.linkage import account_field, link_field, obligation_field, reserved_field
from shared.reference import LinkageTerms

__all__ = ["QuotaRoom", "phase_rules"]


@dataclass(frozen=True, slots=True)
class Arc:
    """One direction of an active link: its id, its quota terms and its orders' minimum fill (order entry
    refuses a smaller order across it: ``LinkageTerms.min_fill_for``)."""

    link_id: str
    terms: QuotaTerms
    min_fill: int = 1


def phase_rules(scenario: Scenario, phase: Phase) -> dict[tuple[str, str], Arc]:
    """The directions the phase's active links open, by (origin, destination) registry."""
    found: dict[tuple[str, str], Arc] = {}
    for linkage in scenario.linkages:
        state = scenario.link_state(phase, linkage)
        if state.state in ("restricted", "full"):
            terms = LinkageTerms.model_validate(link_terms(scenario, linkage, state))
            for origin, destination in terms.directions():
                found.setdefault((origin, destination), Arc(terms.id, terms.quota_terms(origin, destination),
                                                            terms.min_fill_for(origin, destination)))
    return found


@dataclass
class QuotaRoom:
    rules_by_arc: dict[tuple[str, str], Arc]
    counters: dict[str, int]  # the period's quota hash (field → units delivered or reserved)
    obligations: dict[str, int]  # account → its obligation for the period
    _link: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    _account: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    _obligation: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def hold(self, account: str, origin: str, destination: str, quantity: int) -> None:
        """Count a buy of ``quantity`` by ``account`` across origin → destination decided this step."""
        arc = self.rules_by_arc.get((origin, destination))
        if arc is None:
            return
        units = reserved_units(quantity, arc.terms)
        self._link[(origin, destination)] += units
        self._account[(origin, destination, account)] += units
        self._obligation[account] += units

    def shared(self, origin: str, destination: str) -> bool:
        """Whether the direction has a period cap, which every importer's buys share."""
        arc = self.rules_by_arc.get((origin, destination))
        return arc is not None and arc.terms.period_cap is not None

    def largest(self, account: str, origin: str, destination: str, *, quantity: int, lot: int) -> int:
        """The largest buy (a multiple of ``lot``, at most ``quantity``) the link can still carry for ``account``."""
        arc = self.rules_by_arc.get((origin, destination))
        if arc is None:
            return 0
        fields = (link_field(arc.link_id, origin, destination),
                  account_field(arc.link_id, origin, destination, account), obligation_field(account))
        delivered = [self.counters.get(f, 0) for f in fields]
        reserved = [self.counters.get(reserved_field(f), 0) for f in fields]
        state = QuotaState(
            link_delivered=delivered[0], link_reserved=reserved[0] + self._link[(origin, destination)],
            account_delivered=delivered[1],
            account_reserved=reserved[1] + self._account[(origin, destination, account)],
            obligation=self.obligations.get(account, 0), obligation_counted=delivered[2],
            obligation_reserved=reserved[2] + self._obligation[account],
        )
        return largest_quantity(arc.terms, state, quantity=quantity, lot=lot)
