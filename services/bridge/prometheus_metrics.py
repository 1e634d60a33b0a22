"""The bridge's Prometheus instruments: decisions by outcome (approved, refused, deferred) and numeric reason
code (`docs/bridge-reason-codes.md`: a fixed set), and the requests answered again from a decision already made
(a redelivery, or settlement re-sending its pending requests after a broker restart)."""

from __future__ import annotations

from prometheus_client import Counter

from services.bridge.decisions import Outcome

DECISIONS = Counter("carbonlink_bridge_decisions", "cross-registry deliveries the bridge judged, by outcome and "
                    "reason code (a parked request judged again counts again)", ["outcome", "reason_code"])
REPLAYED = Counter("carbonlink_bridge_replayed", "requests answered from a decision already made, or left parked")

_children: dict[tuple[str, int], Counter] = {}


def decided(outcome: Outcome) -> None:
    if outcome.replayed:
        REPLAYED.inc()
        return
    key = (outcome.outcome, outcome.reason_code)
    child = _children.get(key)
    if child is None:
        child = _children[key] = DECISIONS.labels(outcome.outcome.lower(), str(outcome.reason_code))
    child.inc()
