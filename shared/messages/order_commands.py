"""Commands on `orders.commands`: what order entry, the bridge and oversight ask matching to do.

Matching consumes them in order per instrument; `ConfigureInstrument` travels in the same stream so replay
rebuilds the same book.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from shared.messages.vocabulary import Id, Message, Minor, OrderType, Phase, SelfTradePrevention, Side, TimeInForce, Tonnes

__all__ = [
    "AdvanceClock", "AmendOrder", "CancelOrder", "ChangePhase", "ClearBandOverride", "ConfigureInstrument",
    "MassCancel", "SetBandOverride", "SubmitOrder",
]


class ConfigureInstrument(Message):
    """List an instrument or change its rules; in the command stream so replay rebuilds the same book."""

    instrument: Id
    registry: Id
    currency: str = Field(min_length=3, max_length=3)
    unit_asset: Id
    tick: int = Field(ge=1)
    lot: int = Field(ge=1)
    min_quantity: int = Field(ge=1)
    max_quantity: int | None = Field(default=None, ge=1)
    band: str | None = None
    reference_price: int | None = Field(default=None, ge=1)
    circuit_breaker_move: str | None = None
    circuit_breaker_window_ms: int | None = Field(default=None, ge=1)
    self_trade_prevention: SelfTradePrevention = SelfTradePrevention.CANCEL_INCOMING


class SubmitOrder(Message):
    """A new order. `min_fill`: the smallest execution it accepts (1: any), at most its quantity — a cross-border
    order's is the size from which a delivery across its link credits anything (`shared.conversion`)."""

    order_id: Id
    client_order_id: Id
    instrument: Id
    account: Id
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    price: Minor | None = None
    quantity: Tonnes
    expire_at: int | None = Field(default=None, ge=0)
    min_fill: int = Field(default=1, ge=1, le=10**12)

    @model_validator(mode="after")
    def _min_fill_within_quantity(self) -> SubmitOrder:
        if self.min_fill > self.quantity:
            raise ValueError("min_fill must not exceed the quantity")
        return self


class CancelOrder(Message):
    order_id: Id
    instrument: Id


class AmendOrder(Message):
    order_id: Id
    instrument: Id
    price: Minor | None = None
    quantity: int | None = Field(default=None, gt=0, le=10**12)


class MassCancel(Message):
    instrument: Id
    account: str | None = None
    registry: str | None = None
    reason: str = "MASS_CANCEL"


class ChangePhase(Message):
    instrument: Id
    phase: Phase
    reference_price: int | None = Field(default=None, ge=1)


class AdvanceClock(Message):
    """Business time moves on: GTD orders whose expiry has passed expire."""

    instrument: Id
    now: int = Field(ge=0)


class SetBandOverride(Message):
    """Narrow the band of the sessions to come: from the next reference price (the next session's open) on, the
    band may not leave ``low``..``high`` (minor units, multiples of the tick), until an operator clears it.
    Oversight sends it for a corridor whose action is BAND. An override already held is narrowed, not replaced:
    matching keeps the intersection (``shared.bands.intersect``); when the two have no price in common the band is
    pinned at this override's ``pin`` limit (``LOW`` for a market below the corridor's floor, ``HIGH`` above its
    ceiling; none: the limit nearest to the override held)."""

    instrument: Id
    low: int = Field(ge=1, le=10**15)
    high: int = Field(ge=1, le=10**15)
    reason: str = Field(default="", max_length=200)
    pin: Literal["LOW", "HIGH"] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> SetBandOverride:
        if self.low > self.high:
            raise ValueError("a band override's low must not be above its high")
        return self


class ClearBandOverride(Message):
    """Operators lift an instrument's band override: from the next session the static band applies alone."""

    instrument: Id
