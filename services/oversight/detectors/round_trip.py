"""Cross-border round trips: units an owner sends across a link come back to that owner within a window —
the double-counting risk linkage negotiators worry about most.

A leg out: the owner sells units of origin O from registry A to a buyer in registry B. The leg back: the
owner buys, into registry A, units of origin O from a seller in registry B. Both legs are settled trades.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from shared.messages import AlertRaised, TradeSettled

from services.oversight.detectors.observed import (
    CROSS_BORDER_ROUND_TRIP, Observed, Owners, Thresholds, alert, registry_of,
)


@dataclass(frozen=True, slots=True)
class _Leg:
    at: int
    source: str
    destination: str
    origin: str
    quantity: int
    trade_id: str
    event_id: str


def origin_of(asset: str) -> str:
    """The origin registry of a unit asset code ``U:{origin}:{type}:{vintage}``."""
    parts = asset.split(":")
    return parts[1] if len(parts) == 4 and parts[0] == "U" else ""


class RoundTripDetector:
    def __init__(self, thresholds: Thresholds) -> None:
        self._t = thresholds
        self._legs: dict[str, deque[_Leg]] = defaultdict(deque)

    def observe(self, event: Observed, owners: Owners) -> AlertRaised | None:
        settled = event.message
        if not isinstance(settled, TradeSettled) or not settled.cross_registry:
            return None
        seller_registry, buyer_registry = registry_of(settled.sell_account), registry_of(settled.buy_account)
        origin = origin_of(settled.delivered_asset)
        if seller_registry == buyer_registry or not origin:
            return None
        buyer, seller = owners.of(settled.buy_account), owners.of(settled.sell_account)
        found = None
        legs = self._legs[buyer]
        while legs and legs[0].at < event.at - self._t.round_trip_window_ms:
            legs.popleft()
        for leg in legs:
            if (leg.source, leg.destination, leg.origin) == (buyer_registry, seller_registry, origin):
                legs.remove(leg)
                found = alert(
                    CROSS_BORDER_ROUND_TRIP, key=f"{leg.trade_id}:{settled.trade_id}", severity="HIGH",
                    subject=f"{buyer_registry}<->{seller_registry}", owner=buyer,
                    evidence=[leg.event_id, event.event_id], raised_at=event.at,
                    summary=f"{buyer} sent {leg.quantity} t of {origin} units to {seller_registry} "
                            f"and bought {settled.delivered_quantity} t back",
                    details={"out_trade": leg.trade_id, "back_trade": settled.trade_id, "origin": origin,
                             "out_quantity": leg.quantity, "back_quantity": settled.delivered_quantity})
                break
        self._legs[seller].append(_Leg(event.at, seller_registry, buyer_registry, origin, settled.quantity,
                                       settled.trade_id, event.event_id))
        return found
