"""Events the matching core returns. Immutable; every one carries the instrument, its sequence number and the
business time of the command that caused it, so its id `"{instrument}:{seq}"` is the same on every replay.

Events that end an order's life (OrderRejected, OrderCancelled, OrderExpired, and a TradeExecuted whose
leaves quantity is 0 for that side) carry the order's account, side and remaining quantity so settlement can
release reservations without looking anything up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    instrument: str
    seq: int
    ts: int

    @property
    def event_id(self) -> str:
        return f"{self.instrument}:{self.seq}"


@dataclass(frozen=True, slots=True)
class OrderAccepted(Event):
    order_id: str
    account: str
    side: str
    order_type: str
    time_in_force: str
    price: int | None
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderRejected(Event):
    """A new order refused; it never existed. `remaining_quantity` is the quantity it asked for (0 if invalid)."""

    order_id: str
    account: str
    side: str
    remaining_quantity: int
    reason: str


@dataclass(frozen=True, slots=True)
class CommandRejected(Event):
    """A cancel, amend, phase, clock or reference-price command refused; any order it named lives on unchanged."""

    command: str
    order_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class TradeExecuted(Event):
    """One fill. In continuous trading the maker is the resting order and the price its price; in an auction
    the price is the uncross price, `aggressor_side` is None and the maker is the order that arrived first."""

    trade_id: str
    trade_seq: int
    price: int
    quantity: int
    aggressor_side: str | None
    maker_order_id: str
    taker_order_id: str
    maker_account: str
    taker_account: str
    buy_order_id: str
    sell_order_id: str
    buy_account: str
    sell_account: str
    buy_leaves_quantity: int
    sell_leaves_quantity: int


@dataclass(frozen=True, slots=True)
class OrderCancelled(Event):
    order_id: str
    account: str
    side: str
    remaining_quantity: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrderExpired(Event):
    order_id: str
    account: str
    side: str
    remaining_quantity: int


@dataclass(frozen=True, slots=True)
class OrderAmended(Event):
    """The order now rests at `price` with `quantity` open; `lost_priority` says it went to the back of the queue."""

    order_id: str
    account: str
    side: str
    price: int
    quantity: int
    lost_priority: bool


@dataclass(frozen=True, slots=True)
class PhaseChanged(Event):
    previous: str
    phase: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReferencePriceChanged(Event):
    price: int


@dataclass(frozen=True, slots=True)
class TradingHalted(Event):
    """The circuit breaker tripped: a fill at `price` would have moved more than allowed from `anchor_price`."""

    order_id: str
    price: int
    anchor_price: int
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class BookDelta(Event):
    """Market data: the level at `price` on `side` now holds `quantity` tonnes in `order_count` orders (0 = gone)."""

    side: str
    price: int
    quantity: int
    order_count: int
