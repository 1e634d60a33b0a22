"""Order entry's Prometheus instruments: new orders by outcome (accepted, a repeated request, rejected by its
error code) and the accept latency, as the order route sees them.

Served on order entry's own metrics port, not on the public API: the counts by rejection code are business data,
and a separate port is what a deployment keeps off the traders' network (README, "What operators watch").
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from shared.prometheus_metrics import LATENCY_BUCKETS

ORDERS = Counter("carbonlink_orders", "new-order requests answered by order entry, by outcome "
                 "(accepted; repeated: a retry answered with the order placed before; rejected, with its code)",
                 ["outcome", "code"])
ACCEPT_SECONDS = Histogram("carbonlink_order_accept_seconds",
                           "from a new-order request's body being read to its acceptance committed (201)",
                           buckets=LATENCY_BUCKETS)

_accepted = ORDERS.labels("accepted", "")
_repeated = ORDERS.labels("repeated", "")
_rejected: dict[str, Counter] = {}


def order_answered(*, new: bool, seconds: float) -> None:
    """An order request answered 201 (``new``) or 200 (a repeat) after ``seconds``."""
    if new:
        _accepted.inc()
        ACCEPT_SECONDS.observe(seconds)
    else:
        _repeated.inc()


def order_rejected(code: str) -> None:
    """An order refused with the API error ``code`` (a stable code from a fixed set)."""
    child = _rejected.get(code)
    if child is None:
        child = _rejected[code] = ORDERS.labels("rejected", code)
    child.inc()
