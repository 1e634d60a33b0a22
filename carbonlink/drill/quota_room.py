"""What the drill's traders may still buy across each link in a step, from the bridge's counters and the
drill's own resting orders (the pure headroom rules of ``services.bridge.rules.headroom``).

A trader does not post a cross-border buy the link cannot carry: before each step the drill reads the
bridge's quota counters of the period, counts the units its resting foreign buys would be credited, and
as the step's traders decide in turn, each cross-border buy is cut to the headroom left (or dropped) and
reserves it for the next. Resting orders count at their full quantity, so a partly filled one holds a
little more than it needs until it expires.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from carbonlink.drill.exchange_state import TrackedOrder
from carbonlink.drill.scenario import Phase, Scenario
from carbonlink.drill.setup_plan import link_terms
from services.bridge import rules
from services.bridge.agreements import directed_rules
from services.bridge.bridge_keys import account_field, link_field, obligation_field
from services.bridge.rules.headroom import QuotaState, credited_at_most, largest_quantity
from shared.reference import LinkageTerms

__all__ = ["QuotaRoom", "phase_rules"]


def phase_rules(scenario: Scenario, phase: Phase) -> dict[tuple[str, str], rules.LinkageAgreement]:
    """The directed rules the phase's active links give, by (origin, destination) registry."""
    found: dict[tuple[str, str], rules.LinkageAgreement] = {}
    for linkage in scenario.linkages:
        state = scenario.link_state(phase, linkage)
        if state.state in ("restricted", "full"):
            terms = LinkageTerms.model_validate(link_terms(scenario, linkage, state))
            for rule in directed_rules(terms):
                found.setdefault((rule.from_registry, rule.to_registry), rule)
    return found


@dataclass
class QuotaRoom:
    rules_by_arc: dict[tuple[str, str], rules.LinkageAgreement]
    counters: dict[str, int]  # the bridge's quota hash of the period (field → units delivered)
    obligations: dict[str, int]  # account → its obligation for the period
    _link: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    _account: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    _obligation: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def hold(self, account: str, origin: str, destination: str, quantity: int) -> None:
        """Count ``quantity`` bought by ``account`` across origin → destination as reserved."""
        rule = self.rules_by_arc.get((origin, destination))
        if rule is None:
            return
        credited = credited_at_most(quantity, rule)
        self._link[(origin, destination)] += credited
        self._account[(origin, destination, account)] += credited
        self._obligation[account] += credited

    def hold_resting(self, orders: list[TrackedOrder], *, homes: dict[str, str]) -> None:
        for order in orders:
            if order.buy and homes[order.instrument] != order.registry:
                self.hold(order.account, homes[order.instrument], order.registry, order.quantity)

    def largest(self, account: str, origin: str, destination: str, *, quantity: int, lot: int) -> int:
        """The largest buy (a multiple of ``lot``, at most ``quantity``) the link can still carry for ``account``."""
        rule = self.rules_by_arc.get((origin, destination))
        if rule is None:
            return 0
        link, direction = rule.link_id, (origin, destination)
        state = QuotaState(
            link_delivered=self.counters.get(link_field(link, origin, destination), 0),
            link_reserved=self._link[direction],
            account_delivered=self.counters.get(account_field(link, origin, destination, account), 0),
            account_reserved=self._account[(origin, destination, account)],
            obligation=self.obligations.get(account, 0),
            obligation_counted=self.counters.get(obligation_field(account), 0),
            obligation_reserved=self._obligation[account],
        )
        return largest_quantity(rule, state, quantity=quantity, lot=lot)
