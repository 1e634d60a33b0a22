"""Cross-border round trips: units an owner sends across a link come back to that owner within a window —
the double-counting risk linkage negotiators worry about most.

A leg out: the owner sells units from registry A to a buyer in registry B. The leg back: the owner buys,
into registry A, units from a seller in registry B who belongs to the same owner as the first leg's buyer.
Both legs are settled trades. The units coming back need not be the same ones (a link usually admits only
units of the sending registry's origin); what counts is that the position went out and came back between
the same two parties, so both transfers were adjusted for while nothing changed hands for good. "Came back"
means at least ``round_trip_share`` of what went out, in one purchase or several within the window: two firms
on either side of a link that each buy where it is cheaper trade both ways now and then, a few tonnes back
against hundreds out, and that is no round trip (the honest pilot-city drill does it).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from shared.messages.operations import AlertRaised
from shared.messages.post_trade import TradeSettled

from services.oversight.detectors.observed import (
    CROSS_BORDER_ROUND_TRIP, Observed, Owners, Thresholds, alert, registry_of,
)


@dataclass(slots=True)
class _Leg:
    at: int
    source: str
    destination: str
    counterparty: str
    quantity: int
    trade_id: str
    event_id: str
    back: list[tuple[str, str, int]] = field(default_factory=list)  # (trade id, event id, units) bought back


class RoundTripDetector:
    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self._legs: dict[str, deque[_Leg]] = defaultdict(deque)

    def observe(self, event: Observed, owners: Owners) -> AlertRaised | None:
        settled = event.message
        if not isinstance(settled, TradeSettled) or not settled.cross_registry:
            return None
        seller_registry, buyer_registry = registry_of(settled.sell_account), registry_of(settled.buy_account)
        if seller_registry == buyer_registry:
            return None
        buyer, seller = owners.of(settled.buy_account), owners.of(settled.sell_account)
        found = None
        legs = self._legs[buyer]
        while legs and legs[0].at < event.at - self.thresholds.round_trip_window_ms:
            legs.popleft()
        for leg in legs:
            if (leg.source, leg.destination, leg.counterparty) != (buyer_registry, seller_registry, seller):
                continue
            leg.back.append((settled.trade_id, event.event_id, settled.delivered_quantity))
            back = sum(units for _, _, units in leg.back)
            if back < self.thresholds.round_trip_share * leg.quantity:
                break
            legs.remove(leg)
            found = alert(
                CROSS_BORDER_ROUND_TRIP, key=f"{leg.trade_id}:{settled.trade_id}", severity="HIGH",
                subject=f"{buyer_registry}<->{seller_registry}", owner=buyer,
                evidence=[leg.event_id, *(event_id for _, event_id, _ in leg.back)], raised_at=event.at,
                summary=f"{buyer} sent {leg.quantity} t to {seller_registry} and bought {back} t back from the "
                        "same party",
                details={"out_trade": leg.trade_id, "back_trade": settled.trade_id, "counterparty": seller,
                         "out_quantity": leg.quantity, "back_quantity": back})
            break
        self._legs[seller].append(_Leg(event.at, seller_registry, buyer_registry, buyer, settled.quantity,
                                       settled.trade_id, event.event_id))
        return found
