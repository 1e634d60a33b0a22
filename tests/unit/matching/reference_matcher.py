"""A deliberately simple matcher for differential tests: one list of resting orders, scanned linearly.

Continuous trading only, tick 1, lot 1, no band, no circuit breaker, no self-trade prevention.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.matching.core import AdvanceClock, AmendOrder, CancelOrder, SubmitOrder


@dataclass
class Resting:
    order_id: str
    side: str
    price: int
    quantity: int
    time: int
    post_only: bool
    expire_at: int | None


class ReferenceMatcher:
    def __init__(self) -> None:
        self.resting: list[Resting] = []
        self.used_ids: set[str] = set()
        self.trades: list[tuple[str, str, int, int, str]] = []  # buy id, sell id, price, quantity, aggressor
        self.clock = 0

    def apply(self, command) -> None:
        self.clock += 1
        if isinstance(command, SubmitOrder):
            self._submit(command)
        elif isinstance(command, CancelOrder):
            self.resting = [o for o in self.resting if o.order_id != command.order_id]
        elif isinstance(command, AmendOrder):
            self._amend(command)
        elif isinstance(command, AdvanceClock):
            self.resting = [o for o in self.resting if o.expire_at is None or o.expire_at > command.ts]

    def book(self, side: str) -> list[tuple[int, str, int]]:
        orders = [o for o in self.resting if o.side == side]
        orders.sort(key=lambda o: (-o.price if side == "BUY" else o.price, o.time))
        return [(o.price, o.order_id, o.quantity) for o in orders]

    def _acceptable(self, side: str, limit: int | None) -> list[Resting]:
        """Opposite orders the order may trade with, in the order it meets them."""
        found = [o for o in self.resting if o.side != side
                 and (limit is None or (o.price <= limit if side == "BUY" else o.price >= limit))]
        found.sort(key=lambda o: (o.price if side == "BUY" else -o.price, o.time))
        return found

    def _submit(self, c: SubmitOrder) -> None:
        if c.order_id in self.used_ids or c.quantity <= 0:
            return
        limit = None if c.order_type == "MARKET" else c.price
        if limit is not None and limit <= 0:
            return
        if c.time_in_force == "GTD" and (c.expire_at is None or c.expire_at <= c.ts):
            return
        if c.order_type == "POST_ONLY" and (c.time_in_force in ("IOC", "FOK") or self._acceptable(c.side, limit)):
            return
        if c.order_type == "MARKET" and not self._acceptable(c.side, None):
            return
        if c.time_in_force == "FOK" and sum(o.quantity for o in self._acceptable(c.side, limit)) < c.quantity:
            return
        self.used_ids.add(c.order_id)
        left = self._trade(c.order_id, c.side, limit, c.quantity)
        if left and c.order_type != "MARKET" and c.time_in_force not in ("IOC", "FOK"):
            self.resting.append(Resting(c.order_id, c.side, c.price, left, self.clock, c.order_type == "POST_ONLY",
                                        c.expire_at if c.time_in_force == "GTD" else None))

    def _amend(self, c: AmendOrder) -> None:
        order = next((o for o in self.resting if o.order_id == c.order_id), None)
        if order is None:
            return
        price = order.price if c.price is None else c.price
        quantity = order.quantity if c.quantity is None else c.quantity
        if quantity <= 0 or price <= 0 or (order.post_only and self._acceptable(order.side, price)):
            return
        if price == order.price and quantity <= order.quantity:
            order.quantity = quantity
            return
        self.resting.remove(order)
        left = self._trade(order.order_id, order.side, price, quantity)
        if left:
            self.resting.append(Resting(order.order_id, order.side, price, left, self.clock, order.post_only,
                                        order.expire_at))

    def _trade(self, order_id: str, side: str, limit: int | None, quantity: int) -> int:
        for maker in self._acceptable(side, limit):
            if not quantity:
                break
            fill = min(quantity, maker.quantity)
            quantity -= fill
            maker.quantity -= fill
            if side == "BUY":
                self.trades.append((order_id, maker.order_id, maker.price, fill, side))
            else:
                self.trades.append((maker.order_id, order_id, maker.price, fill, side))
        self.resting = [o for o in self.resting if o.quantity]
        return quantity
