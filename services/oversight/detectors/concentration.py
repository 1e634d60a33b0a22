"""Concentration of a link's quota in one owner: the units one owner received over a link in a period reach
a share of the link's quota for that period (its cap per direction times its directions).

A cross-registry delivery is known from two topics: the settled trade (buyer, delivered tonnes) and the
bridge's audit record (which link approved it). Whichever arrives second completes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.messages.operations import AlertRaised
from shared.messages.post_trade import BridgeCheckRecorded, TradeSettled

from services.oversight.detectors.observed import QUOTA_CONCENTRATION, Observed, Owners, Thresholds, alert

_MAX_EVIDENCE = 20


def calendar_year(at_ms: int) -> int:
    """The bridge's quota period: the UTC calendar year of the business time."""
    return datetime.fromtimestamp(at_ms // 1000, tz=UTC).year


@dataclass(frozen=True, slots=True)
class _Settled:
    buyer: str
    quantity: int
    at: int
    event_id: str


class ConcentrationDetector:
    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self._settled: dict[str, _Settled] = {}
        self._links: dict[str, tuple[str, str]] = {}  # trade id → (link id, audit event id)
        self._received: dict[tuple[str, int, str], int] = defaultdict(int)
        self._evidence: dict[tuple[str, int, str], list[str]] = defaultdict(list)
        self._alerted: set[tuple[str, int, str]] = set()

    def observe(self, event: Observed, owners: Owners, caps: Mapping[str, int | None]) -> AlertRaised | None:
        """``caps``: each link's cap per period (None: the link has none)."""
        message = event.message
        if isinstance(message, TradeSettled) and message.cross_registry:
            self._settled[message.trade_id] = _Settled(message.buy_account, message.delivered_quantity, event.at,
                                                       event.event_id)
            trade_id = message.trade_id
        elif (isinstance(message, BridgeCheckRecorded) and message.outcome == "APPROVED"
              and message.link_id is not None):
            self._links[message.trade_id] = (message.link_id, event.event_id)
            trade_id = message.trade_id
        else:
            return None
        if trade_id not in self._settled or trade_id not in self._links:
            return None
        settled = self._settled.pop(trade_id)
        link_id, audit_event = self._links.pop(trade_id)
        owner = owners.of(settled.buyer)
        key = (link_id, calendar_year(settled.at), owner)
        self._received[key] += settled.quantity
        self._evidence[key] = (self._evidence[key] + [audit_event, settled.event_id])[-_MAX_EVIDENCE:]
        cap = caps.get(link_id)
        if not cap or key in self._alerted or self._received[key] < self.thresholds.concentration_share * cap:
            return None
        self._alerted.add(key)
        return alert(QUOTA_CONCENTRATION, key=f"{link_id}:{key[1]}:{owner}", severity="MEDIUM", subject=link_id,
                     owner=owner, evidence=list(self._evidence[key]), raised_at=event.at,
                     summary=f"{owner} received {self._received[key]} t of link {link_id}'s {cap} t quota for {key[1]}",
                     details={"received": self._received[key], "cap": cap, "period": key[1]})
