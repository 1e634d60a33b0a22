"""The net-flow ledger: what crossed each border in each direction, from the approved decisions.

Sent-side figures are in the sending registry's units, receiving-side figures in the receiving registry's;
the two never add up across a border unless the conversion factor is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .decision import Approved


@dataclass(frozen=True, slots=True)
class DirectedFlow:
    """Totals for one direction: ``consumed`` units left sellers' accounts (sending registry's units) and ``gross``
    = delivered + levy + cancelled arrived (receiving registry's units)."""

    from_registry: str
    to_registry: str
    transfers: int = 0
    consumed: int = 0
    gross: int = 0
    delivered: int = 0
    levy: int = 0
    cancelled: int = 0

    def plus(self, approved: Approved) -> DirectedFlow:
        q = approved.quantities
        return replace(
            self,
            transfers=self.transfers + 1,
            consumed=self.consumed + q.consumed,
            gross=self.gross + q.gross,
            delivered=self.delivered + q.delivered,
            levy=self.levy + q.levy,
            cancelled=self.cancelled + q.cancelled,
        )


@dataclass(frozen=True, slots=True)
class PairBalance:
    """Both directions between two registries, and what each registry's bridge account should show."""

    a_to_b: DirectedFlow
    b_to_a: DirectedFlow

    @property
    def net_out_of_a(self) -> int:
        """Units of registry A: those that left A for B minus those that arrived in A from B (A's bridge balance)."""
        return self.a_to_b.consumed - self.b_to_a.gross

    @property
    def net_out_of_b(self) -> int:
        """Units of registry B: those that left B for A minus those that arrived in B from A (B's bridge balance)."""
        return self.b_to_a.consumed - self.a_to_b.gross


def net_flows(approvals: Iterable[Approved]) -> dict[tuple[str, str], DirectedFlow]:
    """Totals per direction ``(from_registry, to_registry)``, in order of first appearance."""
    flows: dict[tuple[str, str], DirectedFlow] = {}
    for approved in approvals:
        key = (approved.from_registry, approved.to_registry)
        flows[key] = flows.get(key, DirectedFlow(*key)).plus(approved)
    return flows


def pair_balance(flows: dict[tuple[str, str], DirectedFlow], registry_a: str, registry_b: str) -> PairBalance:
    """The two directions between ``registry_a`` and ``registry_b`` (zero totals where nothing flowed)."""
    return PairBalance(
        a_to_b=flows.get((registry_a, registry_b), DirectedFlow(registry_a, registry_b)),
        b_to_a=flows.get((registry_b, registry_a), DirectedFlow(registry_b, registry_a)),
    )
