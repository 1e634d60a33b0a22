"""Events the matching core returns. Immutable; every one carries the instrument, its sequence number and the
business time of the command that caused it, so its id `"{instrument}:{seq}"` is the same on every replay.

Events that end an order's life (OrderRejected, OrderCancelled, OrderExpired, and a TradeExecuted whose
leaves quantity is 0 for that side) carry the order's account, side and remaining quantity so settlement can
release reservations without looking anything up.

Each event is a named tuple, with fields readable by name and `_asdict()`; two events are equal only if they
have the same type. The core's hot path builds them with `build(Cls, fields)` (`tuple.__new__`, one C call):
the namedtuple's own `__new__` is a Python function that costs three times as much (~450 vs ~150 ns), and a
frozen dataclass five times as much. Anything else may simply call the class.
"""

from __future__ import annotations

from collections import namedtuple

_COMMON = ("instrument", "seq", "ts")

#: `build(EventClass, (instrument, seq, ts, *fields))`: an event from the complete tuple of its fields, unchecked.
build = tuple.__new__


class Event(tuple):
    """Base of every event: `instrument: str`, `seq: int`, `ts: int` (business ms), then the event's own fields."""

    __slots__ = ()

    @property
    def event_id(self) -> str:
        return f"{self[0]}:{self[1]}"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__


def _fields(name: str, fields: str) -> type:
    return namedtuple(name, _COMMON + tuple(fields.split()))


class OrderAccepted(Event, _fields("OrderAccepted", "order_id account side order_type time_in_force price quantity")):
    """`price` is None for a market order."""

    __slots__ = ()


class OrderRejected(Event, _fields("OrderRejected", "order_id account side remaining_quantity reason")):
    """A new order refused; it never existed. `remaining_quantity` is the quantity it asked for (0 if invalid)."""

    __slots__ = ()


class CommandRejected(Event, _fields("CommandRejected", "command order_id reason")):
    """A cancel, amend, phase, clock or reference-price command refused; any order it named lives on unchanged."""

    __slots__ = ()


class TradeExecuted(Event, _fields("TradeExecuted", (
        "trade_id trade_seq price quantity aggressor_side maker_order_id taker_order_id maker_account taker_account "
        "buy_order_id sell_order_id buy_account sell_account buy_leaves_quantity sell_leaves_quantity"))):
    """One fill. In continuous trading the maker is the resting order and the price its price; in an auction
    the price is the uncross price, `aggressor_side` is None and the maker is the order that arrived first."""

    __slots__ = ()


class OrderCancelled(Event, _fields("OrderCancelled", "order_id account side remaining_quantity reason")):
    __slots__ = ()


class OrderExpired(Event, _fields("OrderExpired", "order_id account side remaining_quantity")):
    __slots__ = ()


class OrderAmended(Event, _fields("OrderAmended", "order_id account side price quantity lost_priority")):
    """The order now rests at `price` with `quantity` open; `lost_priority` says it went to the back of the queue."""

    __slots__ = ()


class PhaseChanged(Event, _fields("PhaseChanged", "previous phase reason")):
    __slots__ = ()


class ReferencePriceChanged(Event, _fields("ReferencePriceChanged", "price clip_low clip_high")):
    """The band until the next reference price is the static band around `price`, narrowed by the band override
    in force (`clip_low`..`clip_high`, None without one)."""

    __slots__ = ()


class BandOverrideChanged(Event, _fields("BandOverrideChanged", "low high reason pinned")):
    """The band override now held (cleared: `low` and `high` None), in force from the next reference price: every
    override set since the last clear intersected, `reason` naming each; `pinned` when two had no price in
    common, so that the band is held at one price."""

    __slots__ = ()


class TradingHalted(Event, _fields("TradingHalted", "order_id price anchor_price low high")):
    """The circuit breaker tripped: a fill at `price` would have moved more than allowed from `anchor_price`."""

    __slots__ = ()


class BookDelta(Event, _fields("BookDelta", "side price quantity order_count")):
    """Market data: the level at `price` on `side` now holds `quantity` tonnes in `order_count` orders (0 = gone)."""

    __slots__ = ()
