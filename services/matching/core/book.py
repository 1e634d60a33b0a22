"""The order book of one instrument: resting orders by side and price level, in time priority.

Each side keeps its level prices in one sorted list (best price last, so taking the best level is a pop from
the end) and a dict from price to level. A level is a FIFO deque of orders plus its live quantity and count.
Cancellation is lazy: a cancelled order's `remaining` becomes 0 and it stays in its deque until it reaches
the head; a level whose live count drops to 0 is removed at once, dead entries and all.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator

from services.matching.core.vocabulary import BUY, SELL


class Order:
    """A live order; mutable only inside the core. `priority` is the sequence number at which it joined its
    level's queue (lower = earlier); `commands` the ids of the amends decided on it (it lives as long as they
    matter: see `MatchingEngine`); `min_fill` the smallest execution it accepts (see `min_fill`).

    `registry` is typed `object` and `commands` a tuple of objects: the core takes them from commands unchecked,
    and the compiled build (`selection`) checks declared types at run time."""

    __slots__ = ("order_id", "account", "registry", "side", "price", "remaining", "order_type",
                 "time_in_force", "expire_at", "stp", "priority", "commands", "min_fill")

    def __init__(self, order_id: str, account: str, registry: object, side: str, price: int, remaining: int,
                 order_type: str, time_in_force: str, expire_at: int | None, stp: str, priority: int,
                 commands: tuple[object, ...], min_fill: int) -> None:
        self.order_id = order_id
        self.account = account
        self.registry = registry
        self.side = side
        self.price = price
        self.remaining = remaining
        self.order_type = order_type
        self.time_in_force = time_in_force
        self.expire_at = expire_at
        self.stp = stp
        self.priority = priority
        self.commands = commands
        self.min_fill = min_fill

    def registry_id(self) -> object:
        """The account's registry: the explicit one, else the part of the account id before the first '/'."""
        return self.registry if self.registry is not None else self.account.partition("/")[0]


class Level:
    __slots__ = ("price", "orders", "quantity", "count")

    def __init__(self, price: int) -> None:
        self.price = price
        self.orders: deque[Order] = deque()
        self.quantity = 0
        self.count = 0

    def head(self) -> Order:
        """The first live order (the level must have one); drops cancelled entries in front of it."""
        orders = self.orders
        while not orders[0].remaining:
            orders.popleft()
        return orders[0]


class BookSide:
    """One side. Sort keys are the price for bids and minus the price for asks, so the best level is last."""

    __slots__ = ("side", "sign", "keys", "levels")

    def __init__(self, side: str) -> None:
        self.side = side
        self.sign = 1 if side == BUY else -1
        self.keys: list[int] = []
        self.levels: dict[int, Level] = {}

    def best_price(self) -> int | None:
        return self.keys[-1] * self.sign if self.keys else None

    def add(self, order: Order) -> Level:
        """Queue `order` at the back of its price level; return the level."""
        price = order.price
        level = self.levels.get(price)
        if level is None:
            level = self.levels[price] = Level(price)
            insort(self.keys, price * self.sign)
        level.orders.append(order)
        level.quantity += order.remaining
        level.count += 1
        return level

    def remove(self, order: Order) -> None:
        """Take a resting order off the book (lazily) and zero its remaining quantity."""
        level = self.levels[order.price]
        level.quantity -= order.remaining
        level.count -= 1
        order.remaining = 0
        if not level.count:
            self.drop_level(order.price)

    def reduce(self, order: Order, quantity: int) -> None:
        """Lower a resting order's open quantity in place, keeping its priority."""
        self.levels[order.price].quantity -= order.remaining - quantity
        order.remaining = quantity

    def drop_level(self, price: int) -> None:
        keys = self.keys
        key = price * self.sign
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]
        del self.levels[price]

    def levels_best_first(self) -> Iterator[Level]:
        levels, sign = self.levels, self.sign
        for key in reversed(self.keys):
            yield levels[key * sign]

    def orders_best_first(self) -> Iterator[Order]:
        """Live resting orders, best price first, each level in time priority."""
        for level in self.levels_best_first():
            for order in level.orders:
                if order.remaining:
                    yield order


class Book:
    __slots__ = ("bids", "asks")

    def __init__(self) -> None:
        self.bids = BookSide(BUY)
        self.asks = BookSide(SELL)

    def side(self, side: str) -> BookSide:
        return self.bids if side == BUY else self.asks

    def opposite(self, side: str) -> BookSide:
        return self.asks if side == BUY else self.bids

    def is_crossed(self) -> bool:
        bid, ask = self.bids.best_price(), self.asks.best_price()
        return bid is not None and ask is not None and bid >= ask
