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

Judged on business times, whatever order the legs arrive in: they settle on different instruments, so on
different partitions, and oversight may read one partition far ahead of another (every start replays the topics,
a partition at a time). A purchase counts as a leg back only if it settled no earlier than the leg out and within
the window after it; a leg out that arrives after its legs back finds them. The purchases are taken in business
order (then by trade id), and the alert names the one that brought back the share.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from shared.messages.operations import AlertRaised
from shared.messages.post_trade import TradeSettled

from services.oversight.detectors.observed import (
    CROSS_BORDER_ROUND_TRIP, Observed, Owners, Thresholds, alert, registry_of,
)

#: How far behind the latest business time seen a leg is still kept, in round-trip windows: legs of a partition
#: read that far behind the others still find each other.
_KEPT_WINDOWS = 48


@dataclass(frozen=True, slots=True)
class _Leg:
    """A cross-registry settled trade: ``seller`` (an owner) sent units from ``source`` to ``buyer`` in
    ``destination``."""

    at: int
    source: str
    destination: str
    seller: str
    buyer: str
    quantity: int
    delivered: int
    trade_id: str
    event_id: str

    def order(self) -> tuple[int, str]:
        return self.at, self.trade_id


class RoundTripDetector:
    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self._sent: dict[str, list[_Leg]] = defaultdict(list)  # owner → legs it sent
        self._bought: dict[str, list[_Leg]] = defaultdict(list)  # owner → legs it bought
        self._alerted: set[str] = set()  # trade ids of legs out already found to have come back
        self._latest = 0

    def observe(self, event: Observed, owners: Owners) -> AlertRaised | None:
        settled = event.message
        if not isinstance(settled, TradeSettled) or not settled.cross_registry:
            return None
        source, destination = registry_of(settled.sell_account), registry_of(settled.buy_account)
        if source == destination:
            return None
        leg = _Leg(event.at, source, destination, owners.of(settled.sell_account), owners.of(settled.buy_account),
                   settled.quantity, settled.delivered_quantity, settled.trade_id, event.event_id)
        self._latest = max(self._latest, leg.at)
        for legs in (self._sent[leg.seller], self._bought[leg.buyer], self._sent[leg.buyer], self._bought[leg.seller]):
            self._forget_old(legs)
        self._sent[leg.seller].append(leg)
        self._bought[leg.buyer].append(leg)
        outs = sorted((out for out in self._sent[leg.buyer] if self._back_of(out, leg)), key=_Leg.order)
        for out in [*outs, leg]:
            found = self._came_back(out)
            if found is not None:
                return found
        return None

    def _forget_old(self, legs: list[_Leg]) -> None:
        oldest = self._latest - _KEPT_WINDOWS * self.thresholds.round_trip_window_ms
        if legs and legs[0].at < oldest:
            legs[:] = [leg for leg in legs if leg.at >= oldest]

    def _back_of(self, out: _Leg, back: _Leg) -> bool:
        """Whether ``back`` brings units of ``out`` back: the reverse route, the same two owners, within the window
        after it."""
        return ((back.destination, back.source, back.seller, back.buyer) == (out.source, out.destination, out.buyer,
                                                                           out.seller)
                and out.at <= back.at <= out.at + self.thresholds.round_trip_window_ms)

    def _came_back(self, out: _Leg) -> AlertRaised | None:
        if out.trade_id in self._alerted:
            return None
        back, taken = 0, []
        for purchase in sorted((p for p in self._bought[out.seller] if self._back_of(out, p)), key=_Leg.order):
            back += purchase.delivered
            taken.append(purchase)
            if back >= self.thresholds.round_trip_share * out.quantity:
                break
        else:
            return None
        self._alerted.add(out.trade_id)
        last = taken[-1]
        return alert(
            CROSS_BORDER_ROUND_TRIP, key=f"{out.trade_id}:{last.trade_id}", severity="HIGH",
            subject=f"{out.source}<->{out.destination}", owner=out.seller,
            evidence=[out.event_id, *(p.event_id for p in taken)], raised_at=last.at,
            summary=f"{out.seller} sent {out.quantity} t to {out.destination} and bought {back} t back from the "
                    "same party",
            details={"out_trade": out.trade_id, "back_trade": last.trade_id, "counterparty": out.buyer,
                     "out_quantity": out.quantity, "back_quantity": back})
