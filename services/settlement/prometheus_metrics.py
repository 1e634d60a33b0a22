"""Settlement's Prometheus instruments: trades by the outcome settlement recorded (settled; failed, with the
reason code; held for the bridge) and the time from trade to settled.

Counted once a trade's state change is applied (``trade_state.lua`` answered APPLIED), so a redelivered trade or
decision is not counted twice. Trade→settled runs from the trade's record timestamp (matching's producer clock)
for a domestic trade, and from the moment settlement held a cross-registry trade for the bridge
(``pending_since``, Redis time) for one the bridge decided, to the state change applied: for domestic trades
the span `carbonlink bench settlement` measures, without the last hop to its reader.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import Counter

from services.settlement.trade_state import APPLIED, CROSS_REGISTRY, DOMESTIC, FAILED, SETTLED, Transition
from shared.prometheus_metrics import LoopHistogram

TRADES = Counter("carbonlink_settlement_trades", "trades settlement recorded, by outcome (settled; failed, with "
                 "the reason code; held for the bridge)", ["outcome", "reason_code"])
LATENCY = {route: LoopHistogram(f"carbonlink_settlement_{route.lower()}_trade_to_settled_seconds",
                                f"{route.lower().replace('_', '-')} trades: from trade (cross-registry: held for the "
                                "bridge) to the final state recorded") for route in (DOMESTIC, CROSS_REGISTRY)}

_settled = TRADES.labels("settled", "")
_held = TRADES.labels("held_for_bridge", "")
_failed: dict[str, Counter] = {}


def trades_recorded(transitions: Sequence[Transition], outcomes: Sequence[int]) -> None:
    """The transitions of one commit and what ``trade_state.lua`` answered for each."""
    now_ms = time.time() * 1000
    spans: dict[str, list[float]] = {DOMESTIC: [], CROSS_REGISTRY: []}
    for transition, outcome in zip(transitions, outcomes):
        if outcome != APPLIED:
            continue
        if transition.status == SETTLED:
            _settled.inc()
        elif transition.status == FAILED:
            _failed_child(transition.fields.get("reason_code", "")).inc()
        else:
            _held.inc()
            continue
        if transition.started_ms:  # 0: caught up from matching's outbox, the record time is unknown
            # the bridge's answers carry no route: every trade it decides is cross-registry
            spans[transition.fields.get("route", CROSS_REGISTRY)].append((now_ms - transition.started_ms) / 1000)
    for route, values in spans.items():
        if values:
            LATENCY[route].observe_many(values)


def _failed_child(reason_code: str) -> Counter:
    child = _failed.get(reason_code)
    if child is None:
        child = _failed[reason_code] = TRADES.labels("failed", reason_code)
    return child
