"""Matching's Prometheus instruments: commands applied, orders decided (accepted, rejected by the core's reason
code), trades made, and each command's in→out latency.

In→out is the time from the command's record timestamp (set by its producer, e.g. order entry's outbox relay, when
it sent the command) to matching handing the command's events to its producer: the span `carbonlink bench
matching` measures, without the last hop to its reader. Clocks of different hosts skew it. A partition rebuilt
from its snapshot applies its commands again, so after a recovery the counts include the replayed ones.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence

from prometheus_client import Counter

from services.matching.core import OrderAccepted, OrderRejected, TradeExecuted
from shared.prometheus_metrics import LoopHistogram

COMMANDS = Counter("carbonlink_matching_commands",
                   "commands matching read from orders.commands (replays after a recovery included)")
ORDERS = Counter("carbonlink_matching_orders", "new orders matching decided, by outcome (accepted; rejected, with "
                 "the core's reason code)", ["outcome", "reason"])
TRADES = Counter("carbonlink_matching_trades", "trades (fills) matching made")
IN_OUT = LoopHistogram("carbonlink_matching_in_out_seconds",
                       "from a command's record timestamp to its events handed to matching's producer")

_accepted = ORDERS.labels("accepted", "")
_rejected: dict[str, Counter] = {}


def batch_matched(records: Sequence, events_by_instrument: Mapping[str, Iterable]) -> None:
    """One partition batch: its records (for the latency) and the events matching made of them."""
    out_ms = time.time() * 1000
    IN_OUT.observe_many((out_ms - record.timestamp) / 1000 for record in records)
    COMMANDS.inc(len(records))
    trades = accepted = 0
    for events in events_by_instrument.values():
        for event in events:
            kind = type(event)
            if kind is TradeExecuted:
                trades += 1
            elif kind is OrderAccepted:
                accepted += 1
            elif kind is OrderRejected:
                _rejected_child(event.reason).inc()
    if trades:
        TRADES.inc(trades)
    if accepted:
        _accepted.inc(accepted)


def _rejected_child(reason: str) -> Counter:
    child = _rejected.get(reason)
    if child is None:
        child = _rejected[reason] = ORDERS.labels("rejected", reason)
    return child
