"""Read model of what crosses the borders: quota use per link and direction, net flows per direction, and
corresponding adjustments per period.

Owner: the bridge. Its delivery entry raises these counters in the same atomic ledger entry that executes an
approved delivery, so they are always as durable as the delivery. Readers (order entry's transparency API,
link command results, the audit's reconciliation, drills) use the key layout and decoders below, never the
bridge's code.

Key layout (hashes of integer counters, under the ledger's ``{L}`` hash tag):

- ``{L}:counter:bridge:quota:{period}`` — field ``LINK|{link_id}|{from}>{to}``: delivered tonnes of the period;
  ``ACCOUNT|{link_id}|{from}>{to}|{account}`` and ``OBLIGATION|{account}``: what the per-account and
  obligation-share caps count. Beside each, ``RESERVED|{field}``: units reserved by cross-border orders still
  resting and by their trades awaiting the bridge (``shared.quota``). Order entry raises a reserved counter in
  the ledger entry that accepts the order, capped with its delivered counter; the reservation record then holds
  it (``counter_*`` fields, see ``shared/ledger/post.lua``): settlement moves a fill's share into the trade's
  hold, and whichever entry deletes a record — a cancel, expiry or refusal releasing it, the bridge's delivery
  consuming it — subtracts what it held;
- ``{L}:counter:bridge:netflow`` — field ``{from}>{to}|{name}`` for each name of ``NETFLOW_FIELDS``;
- ``{L}:counter:bridge:adjustments:{period}`` — field registry: signed tonnes (+ origin, − receiver).

A period is the UTC calendar year of business time (``shared.periods.calendar_year``).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from shared import redis_keys
from shared.quota import CapKind

NETFLOW = redis_keys.counter_key("bridge:netflow")

#: The net-flow counters kept per direction: ``consumed`` in the sender's units, the rest in the receiver's.
NETFLOW_FIELDS = ("transfers", "consumed", "gross", "delivered", "levy", "cancelled")


def quota_key(period: int) -> str:
    """Hash of every quota counter of one compliance period."""
    return redis_keys.counter_key(f"bridge:quota:{period}")


def link_field(link_id: str, from_registry: str, to_registry: str) -> str:
    """Delivered tonnes of one direction of a link in the period of its ``quota_key``."""
    return f"LINK|{link_id}|{from_registry}>{to_registry}"


def account_field(link_id: str, from_registry: str, to_registry: str, account: str) -> str:
    """Units delivered to one account through one direction of a link in the period (its account cap)."""
    return f"ACCOUNT|{link_id}|{from_registry}>{to_registry}|{account}"


def obligation_field(account: str) -> str:
    """Foreign units counted against one account's obligation share in the period, across links."""
    return f"OBLIGATION|{account}"


def reserved_field(field: str) -> str:
    """The reserved counter beside a delivered one of the quota hash."""
    return f"RESERVED|{field}"


def cap_field(kind: CapKind, link_id: str, from_registry: str, to_registry: str, account: str) -> str:
    """The delivered counter a cap of ``kind`` bounds, for a buy by ``account`` across from → to."""
    match kind:
        case CapKind.LINK:
            return link_field(link_id, from_registry, to_registry)
        case CapKind.ACCOUNT:
            return account_field(link_id, from_registry, to_registry, account)
        case _:
            return obligation_field(account)


def netflow_field(from_registry: str, to_registry: str, name: str) -> str:
    return f"{from_registry}>{to_registry}|{name}"


def adjustments_key(period: int | str) -> str:
    """Hash: registry → signed sum of corresponding adjustments (tonnes) recorded for the period."""
    return redis_keys.counter_key(f"bridge:adjustments:{period}")


class DirectedFlowView(BaseModel):
    """What crossed one border in one direction: ``consumed`` in the sender's units, the rest in the receiver's
    (``gross`` = delivered + levy + cancelled)."""

    from_registry: str
    to_registry: str
    transfers: int = 0
    consumed: int = 0
    gross: int = 0
    delivered: int = 0
    levy: int = 0
    cancelled: int = 0


class PairFlowView(BaseModel):
    """Both directions between two registries and the net outflow of each (what its BRIDGE account shows)."""

    registry_a: str
    registry_b: str
    a_to_b: DirectedFlowView
    b_to_a: DirectedFlowView
    net_out_of_a: int
    net_out_of_b: int


def flows_from_counters(counters: Mapping[str, str]) -> dict[tuple[str, str], DirectedFlowView]:
    """The net-flow hash (decoded to text) → totals per direction, in registry order."""
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for field, value in counters.items():
        direction, _, name = field.rpartition("|")
        from_registry, _, to_registry = direction.partition(">")
        if name in NETFLOW_FIELDS and from_registry and to_registry:
            totals.setdefault((from_registry, to_registry), {})[name] = int(value)
    return {pair: DirectedFlowView(from_registry=pair[0], to_registry=pair[1], **values)
            for pair, values in sorted(totals.items())}


def pair_view(flows: Mapping[tuple[str, str], DirectedFlowView], registry_a: str, registry_b: str) -> PairFlowView:
    """Both directions between two registries (zero where nothing flowed). A registry's net outflow is what left
    it for the other minus what arrived in it from the other, in its own units."""
    a_to_b = flows.get((registry_a, registry_b)) or DirectedFlowView(from_registry=registry_a, to_registry=registry_b)
    b_to_a = flows.get((registry_b, registry_a)) or DirectedFlowView(from_registry=registry_b, to_registry=registry_a)
    return PairFlowView(registry_a=registry_a, registry_b=registry_b, a_to_b=a_to_b, b_to_a=b_to_a,
                        net_out_of_a=a_to_b.consumed - b_to_a.gross, net_out_of_b=b_to_a.consumed - a_to_b.gross)


def adjustments_from(counters: Mapping[str, str]) -> dict[str, int]:
    """An adjustments hash (decoded to text) → registry: signed tonnes, zeros left out; they sum to zero."""
    return {registry: int(value) for registry, value in sorted(counters.items()) if int(value)}
