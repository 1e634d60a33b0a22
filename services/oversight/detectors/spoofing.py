"""Spoofing and layering: an owner repeatedly places large orders near the touch and cancels them unfilled
within a short time, while it trades on the other side of the same instrument.

State per instrument: the resting orders (from the order events, so the touch is known without the market
data topic) and the mean order size; per owner and instrument: the suspicious cancels and the trades of
the recent window.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from shared.messages.operations import AlertRaised
from shared.messages.order_events import OrderAccepted, OrderAmended, OrderCancelled, OrderExpired, TradeExecuted
from shared.messages.vocabulary import Side

from services.oversight.detectors.observed import SPOOFING, Observed, Owners, Thresholds, alert

#: The cancel reason of an order its owner withdrew (mass cancels, expiries and breakers are not the owner's doing).
CANCEL_REQUESTED = "REQUESTED"


@dataclass(slots=True)
class _Resting:
    account: str
    side: Side
    price: int
    quantity: int
    leaves: int
    at: int
    event_id: str
    suspicious: bool  # large and near the touch when it arrived


@dataclass(frozen=True, slots=True)
class _Cancel:
    at: int
    side: Side
    evidence: tuple[str, str]  # the order's acceptance and its cancel


@dataclass(frozen=True, slots=True)
class _Trade:
    at: int
    side: Side
    event_id: str


@dataclass(slots=True)
class _Instrument:
    orders: dict[str, _Resting] = field(default_factory=dict)
    count: int = 0
    total: int = 0

    def best(self, side: Side) -> int | None:
        prices = [o.price for o in self.orders.values() if o.side is side]
        if not prices:
            return None
        return max(prices) if side is Side.BUY else min(prices)


class SpoofingDetector:
    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self._instruments: dict[str, _Instrument] = defaultdict(_Instrument)
        self._cancels: dict[tuple[str, str], deque[_Cancel]] = defaultdict(deque)
        self._trades: dict[tuple[str, str], deque[_Trade]] = defaultdict(deque)

    def observe(self, event: Observed, owners: Owners) -> AlertRaised | None:
        message = event.message
        if isinstance(message, OrderAccepted):
            self._accepted(event, message)
        elif isinstance(message, TradeExecuted):
            return self._traded(event, message, owners)
        elif isinstance(message, OrderCancelled):
            return self._cancelled(event, message, owners)
        elif isinstance(message, OrderExpired):
            self._instruments[message.instrument].orders.pop(message.order_id, None)
        elif isinstance(message, OrderAmended):
            order = self._instruments[message.instrument].orders.get(message.order_id)
            if order is not None:
                order.leaves = order.quantity = message.quantity
                order.price = message.price if message.price is not None else order.price
        return None

    def _accepted(self, event: Observed, order: OrderAccepted) -> None:
        book = self._instruments[order.instrument]
        if order.price is not None:
            large = (book.count >= self.thresholds.spoof_min_history
                     and order.quantity * book.count >= self.thresholds.spoof_large_ratio * book.total)
            book.orders[order.order_id] = _Resting(
                account=order.account, side=order.side, price=order.price, quantity=order.quantity,
                leaves=order.quantity, at=event.at, event_id=event.event_id,
                suspicious=large and self._near_touch(book, order.side, order.price))
            if large:
                return
        book.count += 1  # the mean size is of ordinary orders: large ones would raise the bar for the next
        book.total += order.quantity

    def _near_touch(self, book: _Instrument, side: Side, price: int) -> bool:
        best = book.best(side)
        if best is None:
            return True
        if side is Side.BUY:
            return price >= best * (1 - self.thresholds.spoof_near_touch)
        return price <= best * (1 + self.thresholds.spoof_near_touch)

    def _traded(self, event: Observed, trade: TradeExecuted, owners: Owners) -> AlertRaised | None:
        book = self._instruments[trade.instrument]
        for order_id, leaves in ((trade.buy_order_id, trade.buy_leaves_quantity),
                                 (trade.sell_order_id, trade.sell_leaves_quantity)):
            order = book.orders.get(order_id)
            if order is not None:
                order.leaves = leaves
                if leaves == 0:
                    del book.orders[order_id]
        found = None
        for account, side in ((trade.buy_account, Side.BUY), (trade.sell_account, Side.SELL)):
            key = (trade.instrument, owners.of(account))
            self._trades[key].append(_Trade(event.at, side, event.event_id))
            found = found or self._judge(key, event)
        return found

    def _cancelled(self, event: Observed, cancel: OrderCancelled, owners: Owners) -> AlertRaised | None:
        order = self._instruments[cancel.instrument].orders.pop(cancel.order_id, None)
        if (order is None or cancel.reason != CANCEL_REQUESTED or not order.suspicious or order.leaves != order.quantity
                or event.at - order.at > self.thresholds.spoof_max_lifetime_ms):
            return None
        key = (cancel.instrument, owners.of(order.account))
        self._cancels[key].append(_Cancel(event.at, order.side, (order.event_id, event.event_id)))
        return self._judge(key, event)

    def _judge(self, key: tuple[str, str], event: Observed) -> AlertRaised | None:
        since = event.at - self.thresholds.spoof_window_ms
        cancels, trades = self._cancels[key], self._trades[key]
        for window in (cancels, trades):
            while window and window[0].at < since:
                window.popleft()
        if len(cancels) < self.thresholds.spoof_min_cancels:
            return None  # the common case, decided without looking at the trades (a busy owner has many)
        for side in (Side.BUY, Side.SELL):
            placed = [c for c in cancels if c.side is side]
            if len(placed) < self.thresholds.spoof_min_cancels:
                continue
            opposite = [t for t in trades if t.side is not side]
            if opposite:
                cancels.clear()
                instrument, owner = key
                evidence = [e for c in placed for e in c.evidence] + [t.event_id for t in opposite]
                return alert(SPOOFING, key=f"{instrument}:{placed[0].evidence[0]}", severity="HIGH",
                             subject=instrument, owner=owner, evidence=evidence, raised_at=event.at,
                             summary=f"{owner} placed and cancelled {len(placed)} large {side} orders near the touch "
                                     f"while trading on the other side",
                             details={"side": str(side), "cancelled_orders": len(placed),
                                      "opposite_trades": len(opposite)})
        return None
