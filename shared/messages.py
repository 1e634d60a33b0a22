"""Every command and event that crosses Kafka: one pydantic model per message type, defined once.

Commands are imperative (`SubmitOrder`), events past tense (`TradeExecuted`). `MESSAGE_TYPES` maps the
envelope's `type` to its payload model; `payload_of` parses an envelope's payload into that model.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.envelope import Envelope

Id = Annotated[str, Field(min_length=1, max_length=200)]
Tonnes = Annotated[int, Field(gt=0, le=10**12)]
Minor = Annotated[int, Field(ge=0, le=10**15)]


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    POST_ONLY = "POST_ONLY"


class TimeInForce(StrEnum):
    GTC = "GTC"
    DAY = "DAY"
    GTD = "GTD"
    IOC = "IOC"
    FOK = "FOK"


class Phase(StrEnum):
    CLOSED = "CLOSED"
    PRE_OPEN = "PRE_OPEN"
    OPENING_AUCTION = "OPENING_AUCTION"
    CONTINUOUS = "CONTINUOUS"
    HALTED = "HALTED"
    CLOSING_AUCTION = "CLOSING_AUCTION"


class SelfTradePrevention(StrEnum):
    NONE = "NONE"
    CANCEL_RESTING = "CANCEL_RESTING"
    CANCEL_INCOMING = "CANCEL_INCOMING"
    CANCEL_BOTH = "CANCEL_BOTH"


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- commands on orders.commands -------------------------------------------------------------------------------

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


# --- events on orders.events and market.data -------------------------------------------------------------------

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


# --- settlement and bridge -------------------------------------------------------------------------------------

class TradeSettled(Message):
    trade_id: str
    instrument: str
    buy_account: str
    sell_account: str
    price: int
    quantity: int
    delivered_quantity: int
    delivered_asset: str
    entry_ids: list[str]
    cross_registry: bool


class TradeFailed(Message):
    trade_id: str
    instrument: str
    buy_account: str
    sell_account: str
    quantity: int
    reason_code: int
    reason: str
    message: str


class DeliveryRequested(Message):
    """Settlement asks the bridge to move a matched trade's units across registries."""

    trade_id: str
    instrument: str
    currency: str
    unit_asset: str
    price: int
    quantity: int
    buy_order_id: str
    sell_order_id: str
    buy_account: str
    sell_account: str
    buyer_cash: int
    seller_cash: int
    buyer_fee: int
    seller_fee: int
    matched_at: int


class DeliveryDecided(Message):
    trade_id: str
    instrument: str
    outcome: Literal["APPROVED", "REFUSED"]
    link_id: str | None
    reason_code: int
    reason: str
    message: str
    sent_quantity: int = 0
    delivered_quantity: int = 0
    delivered_asset: str = ""
    levy_quantity: int = 0
    cancelled_quantity: int = 0
    remainder_quantity: int = 0
    entry_id: str = ""


class BridgeCheckRecorded(Message):
    trade_id: str
    link_id: str | None
    checks: list[dict[str, Any]]
    outcome: str
    reason_code: int


class SuspendLink(Message):
    """Operators ask the bridge to suspend a link at once (on ``bridge.commands``, keyed by link id)."""

    link_id: Id


class ResumeLink(Message):
    """Operators ask the bridge to make a suspended link active again."""

    link_id: Id


class TerminateLink(Message):
    """Operators ask the bridge to terminate a link for good."""

    link_id: Id


LinkCommand = SuspendLink | ResumeLink | TerminateLink


class LinkCommandExecuted(Message):
    """The bridge carried out (``DONE``) or refused (``REFUSED``, with ``code``) an operator's link command;
    the full result is the ``shared.read_models.link_commands`` read model. On ``bridge.audit``."""

    command_id: str
    link_id: str
    command: str
    outcome: Literal["DONE", "REFUSED"]
    code: str = ""
    status: str = ""


class LedgerEntryRecorded(Message):
    """One ledger entry as a registry's journal holds it (only the postings of that registry's accounts).

    Postings are ``[account, asset, bucket, delta]`` with bucket ``a`` (available) or ``r`` (reserved).
    """

    registry: str
    stream_id: str
    entry_id: str
    kind: str
    time: int
    postings: list[tuple[str, str, str, int]]
    meta: dict[str, object]


class AlertRaised(Message):
    """A surveillance finding of oversight: a stable code, a severity and the events that triggered it.

    ``alert_id`` is derived from the evidence, so replaying the same events raises the same alert again.
    """

    alert_id: Id
    code: str
    severity: Literal["LOW", "MEDIUM", "HIGH"]
    subject: str
    owner: str = ""
    evidence: list[str]
    raised_at: int = Field(ge=0, description="business time of the event that completed the evidence")
    summary: str
    details: dict[str, str | int] = Field(default_factory=dict)


class ServiceHeartbeat(Message):
    service: str
    instance: str
    pid: int


class DeadLettered(Message):
    source_topic: str
    partition: int
    offset: int
    reason: str
    raw: str


MESSAGE_TYPES: dict[str, type[Message]] = {
    model.__name__: model
    for model in (
        ConfigureInstrument, SubmitOrder, CancelOrder, AmendOrder, MassCancel, ChangePhase, AdvanceClock,
        SetBandOverride, ClearBandOverride,
        OrderAccepted, OrderRejected, OrderCancelled, OrderExpired, OrderAmended, TradeExecuted, CommandRejected,
        PhaseChanged, ReferencePriceChanged, BandOverrideChanged, TradingHalted, BookDelta, TradeSettled, TradeFailed, DeliveryRequested, DeliveryDecided, BridgeCheckRecorded,
        LedgerEntryRecorded, AlertRaised, ServiceHeartbeat, DeadLettered,
        SuspendLink, ResumeLink, TerminateLink, LinkCommandExecuted,
    )
}


class UnknownMessageType(ValueError):
    pass


def payload_of(envelope: Envelope) -> Message:
    """The typed payload; raises UnknownMessageType or a pydantic ValidationError."""
    model = MESSAGE_TYPES.get(envelope.type)
    if model is None:
        raise UnknownMessageType(f"unknown message type {envelope.type!r}")
    return model.model_validate(envelope.payload)


def envelope_for(message: Message, *, event_id: str, occurred_at: int, correlation_id: str = "") -> Envelope:
    return Envelope(
        event_id=event_id, type=type(message).__name__, occurred_at=occurred_at,
        correlation_id=correlation_id, payload=message.model_dump(mode="json"),
    )
