"""A deliberately simple matcher for differential tests: one list of resting orders, scanned linearly.

Continuous trading only, tick 1, lot 1, no band, no circuit breaker, no self-trade prevention. Minimum fills by
brute force: a fill is the largest size that is, for each side, its whole quantity or leaves it at least its
minimum while being at least that minimum (the rule `services.matching.core.min_fill` states, found here by trying
every size).
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
    min_fill: int = 1


def largest_fill(a: int, a_min: int, b: int, b_min: int) -> int:
    """The largest size both sides accept, tried one by one from the smaller quantity down; 0 if none."""
    def accepts(size: int, left: int, minimum: int) -> bool:
        return size == left or (size >= minimum and left - size >= minimum)
    return next((size for size in range(min(a, b), 0, -1) if accepts(size, a, a_min) and accepts(size, b, b_min)), 0)


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
        if not 1 <= c.min_fill <= c.quantity:
            return
        if c.time_in_force == "FOK" and self._unfilled(c.side, limit, c.quantity, c.min_fill):
            return
        self.used_ids.add(c.order_id)
        left = self._trade(c.order_id, c.side, limit, c.quantity, c.min_fill)
        if left and c.order_type != "MARKET" and c.time_in_force not in ("IOC", "FOK"):
            self.resting.append(Resting(c.order_id, c.side, c.price, left, self.clock, c.order_type == "POST_ONLY",
                                        c.expire_at if c.time_in_force == "GTD" else None, c.min_fill))

    def _unfilled(self, side: str, limit: int | None, quantity: int, min_fill: int) -> int:
        for maker in self._acceptable(side, limit):
            quantity -= largest_fill(quantity, min_fill, maker.quantity, maker.min_fill)
        return quantity

    def _amend(self, c: AmendOrder) -> None:
        order = next((o for o in self.resting if o.order_id == c.order_id), None)
        if order is None:
            return
        price = order.price if c.price is None else c.price
        quantity = order.quantity if c.quantity is None else c.quantity
        if (quantity <= 0 or quantity < order.min_fill or price <= 0
                or (order.post_only and self._acceptable(order.side, price))):
            return
        if price == order.price and quantity <= order.quantity:
            order.quantity = quantity
            return
        self.resting.remove(order)
        left = self._trade(order.order_id, order.side, price, quantity, order.min_fill)
        if left:
            self.resting.append(Resting(order.order_id, order.side, price, left, self.clock, order.post_only,
                                        order.expire_at, order.min_fill))

    def _trade(self, order_id: str, side: str, limit: int | None, quantity: int, min_fill: int) -> int:
        for maker in self._acceptable(side, limit):
            if not quantity:
                break
            fill = largest_fill(quantity, min_fill, maker.quantity, maker.min_fill)
            if not fill:
                continue
            quantity -= fill
            maker.quantity -= fill
            if side == "BUY":
                self.trades.append((order_id, maker.order_id, maker.price, fill, side))
            else:
                self.trades.append((maker.order_id, order_id, maker.price, fill, side))
        self.resting = [o for o in self.resting if o.quantity]
        return quantity
