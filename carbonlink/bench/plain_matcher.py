"""The yardstick of the core benchmark: a plain price-time matcher, as one would write it for speed alone.

A dict of price levels per side (each a deque of `[order_id, remaining, price, side, post_only]` entries), the level
prices in a sorted list (best last), a dict of live orders, and the trades as `(buy id, sell id, price,
quantity, aggressor side)` tuples. No events, no validation (the benchmark streams are valid apart from
cancels and amends naming orders that are gone), no phases, bands or self-trade prevention: what the core
does beyond it is what the ratio prices. It handles the commands the benchmark streams contain (limit, IOC,
FOK, market, post-only, cancel, amend) with the core's semantics, so both produce the same trades.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque

from services.matching.core import AmendOrder, CancelOrder, SubmitOrder
from services.matching.core.vocabulary import BUY, FOK, IOC, MARKET, POST_ONLY

_ID, _LEFT, _PRICE, _SIDE, _POST_ONLY = range(5)


class PlainMatcher:
    def __init__(self) -> None:
        # Sort keys: the price for bids, minus the price for asks, so the best level is last on both sides.
        self.keys = {BUY: [], "SELL": []}
        self.levels: dict[str, dict[int, deque]] = {BUY: {}, "SELL": {}}
        self.orders: dict[str, list] = {}
        self.trades: list[tuple[str, str, int, int, str]] = []

    def handle(self, command: object) -> None:
        kind = type(command)
        if kind is SubmitOrder:
            self.submit(command.order_id, command.side, command.price, command.quantity, command.order_type,
                        command.time_in_force)
        elif kind is CancelOrder:
            entry = self.orders.pop(command.order_id, None)
            if entry is not None:
                self._unlink(entry)
        elif kind is AmendOrder:
            self.amend(command)

    def submit(self, order_id: str, side: str, price: int | None, quantity: int, order_type: str,
               tif: str) -> None:
        is_buy = side == BUY
        opposite = "SELL" if is_buy else BUY
        keys = self.keys[opposite]
        limit = price
        if keys:
            best = keys[-1] if not is_buy else -keys[-1]
            crosses = limit is None or (best <= limit if is_buy else best >= limit)
        else:
            crosses = False
        if order_type == POST_ONLY and crosses:
            return
        if order_type == MARKET and not crosses:
            return
        if tif == FOK and not self._fillable(opposite, is_buy, limit, quantity):
            return
        if crosses:
            quantity = self._take(order_id, side, is_buy, opposite, limit, quantity)
        if quantity and order_type != MARKET and tif != IOC and tif != FOK:
            self._rest([order_id, quantity, price, side, order_type == POST_ONLY])

    def amend(self, command: AmendOrder) -> None:
        entry = self.orders.get(command.order_id)
        if entry is None:
            return
        price = entry[_PRICE] if command.price is None else command.price
        quantity = entry[_LEFT] if command.quantity is None else command.quantity
        if price == entry[_PRICE] and quantity <= entry[_LEFT]:
            entry[_LEFT] = quantity
            return
        side = entry[_SIDE]
        is_buy = side == BUY
        opposite = "SELL" if is_buy else BUY
        keys = self.keys[opposite]
        crosses = keys and ((-keys[-1] <= price) if is_buy else (keys[-1] >= price))
        if crosses and entry[_POST_ONLY]:
            return  # refused: the order stays as it was
        del self.orders[entry[_ID]]
        self._unlink(entry)
        if crosses:
            quantity = self._take(entry[_ID], side, is_buy, opposite, price, quantity)
        if quantity:
            self._rest([entry[_ID], quantity, price, side, entry[_POST_ONLY]])

    def _take(self, taker_id: str, side: str, is_buy: bool, opposite: str, limit: int | None, quantity: int) -> int:
        keys, levels, orders, trades = self.keys[opposite], self.levels[opposite], self.orders, self.trades.append
        while quantity and keys:
            price = -keys[-1] if is_buy else keys[-1]
            if limit is not None and (price > limit if is_buy else price < limit):
                break
            queue = levels[price]
            while quantity and queue:
                maker = queue[0]
                fill = maker[_LEFT] if maker[_LEFT] < quantity else quantity
                quantity -= fill
                maker[_LEFT] -= fill
                if not maker[_LEFT]:
                    queue.popleft()
                    del orders[maker[_ID]]
                if is_buy:
                    trades((taker_id, maker[_ID], price, fill, side))
                else:
                    trades((maker[_ID], taker_id, price, fill, side))
            if not queue:
                keys.pop()
                del levels[price]
        return quantity

    def _fillable(self, opposite: str, is_buy: bool, limit: int | None, quantity: int) -> bool:
        levels = self.levels[opposite]
        for key in reversed(self.keys[opposite]):
            price = -key if is_buy else key
            if limit is not None and (price > limit if is_buy else price < limit):
                return False
            for entry in levels[price]:
                quantity -= entry[_LEFT]
            if quantity <= 0:
                return True
        return False

    def _rest(self, entry: list) -> None:
        side, price = entry[_SIDE], entry[_PRICE]
        levels = self.levels[side]
        queue = levels.get(price)
        if queue is None:
            queue = levels[price] = deque()
            insort(self.keys[side], price if side == BUY else -price)
        queue.append(entry)
        self.orders[entry[_ID]] = entry

    def _unlink(self, entry: list) -> None:
        side, price = entry[_SIDE], entry[_PRICE]
        queue = self.levels[side][price]
        queue.remove(entry)
        if not queue:
            del self.levels[side][price]
            keys = self.keys[side]
            del keys[bisect_left(keys, price if side == BUY else -price)]
