"""Events matching publishes: order outcomes, trades and phase changes on `orders.events`, book deltas on
`market.data`.
"""

from __future__ import annotations

from pydantic import Field

from shared.messages.vocabulary import Id, Message, OrderType, Phase, Side, TimeInForce, Tonnes

__all__ = [
    "BandOverrideChanged", "BookDelta", "CommandRejected", "OrderAccepted", "OrderAmended", "OrderCancelled",
    "OrderExpired", "OrderRejected", "PhaseChanged", "ReferencePriceChanged", "TradeExecuted", "TradingHalted",
]


class OrderAccepted(Message):
    order_id: str
    instrument: str
    account: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    price: int | None
    quantity: int


class OrderRejected(Message):
    order_id: str
    instrument: str
    account: str
    side: Side | None
    reason: str
    remaining_quantity: int = 0


class OrderCancelled(Message):
    order_id: str
    instrument: str
    account: str
    side: Side
    reason: str
    remaining_quantity: int


class OrderExpired(Message):
    order_id: str
    instrument: str
    account: str
    side: Side
    remaining_quantity: int


class OrderAmended(Message):
    order_id: str
    instrument: str
    account: str
    side: Side
    price: int | None
    quantity: int
    lost_priority: bool


class TradeExecuted(Message):
    trade_id: Id
    instrument: Id
    trade_seq: int = Field(ge=1)
    price: int = Field(ge=1, le=10**15)
    quantity: Tonnes
    aggressor_side: Side | None
    maker_order_id: str
    taker_order_id: str
    maker_account: str
    taker_account: str
    buy_order_id: str
    sell_order_id: str
    buy_account: str
    sell_account: str
    buy_leaves_quantity: int = Field(ge=0, le=10**12)
    sell_leaves_quantity: int = Field(ge=0, le=10**12)


class CommandRejected(Message):
    """A cancel, amend, phase or clock command refused; any order it named lives on unchanged."""

    instrument: str
    command: str
    order_id: str | None
    reason: str


class PhaseChanged(Message):
    instrument: str
    previous: Phase
    phase: Phase
    reason: str = ""


class ReferencePriceChanged(Message):
    """A new reference price (a session's open): the static band around it, narrowed by ``clip_low``..``clip_high``
    when a band override was in force (``shared.bands.narrow``), is the band until the next reference price."""

    instrument: str
    price: int
    clip_low: int | None = None
    clip_high: int | None = None


class BandOverrideChanged(Message):
    """Matching recorded a band override (``low``/``high``: every override set since the last clear, intersected;
    ``reason`` names each) or the removal of all of them (both None); it narrows the band from the next reference
    price on. ``pinned``: two overrides had no price in common, so the band is held at one price."""

    instrument: str
    low: int | None
    high: int | None
    reason: str = ""
    pinned: bool = False


class TradingHalted(Message):
    """The circuit breaker tripped: a fill at `price` would have moved more than allowed from `anchor_price`."""

    instrument: str
    order_id: str
    price: int
    anchor_price: int
    low: int
    high: int


class BookDelta(Message):
    instrument: str
    side: Side
    price: int
    quantity: int
    order_count: int
