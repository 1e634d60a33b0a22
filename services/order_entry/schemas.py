"""Request and response bodies of the HTTP API (separate from what is stored); prices are decimal strings and
every integer is a JSON integer, strictly (``true``, ``"10"`` and ``2.0`` are refused)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.messages.vocabulary import OrderType, Phase, Side, TimeInForce
from shared.reference import AccountId, InstrumentId, PrincipalId, RegistryId, Tonnes

ClientOrderId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$", examples=["c-0001"])]
DecimalPrice = Annotated[str, Field(pattern=r"^[0-9]{1,15}(\.[0-9]{1,8})?$", examples=["52.30"])]
BusinessMs = Annotated[int, Field(strict=True, ge=0, le=10**14, description="business time, ms since the Unix epoch (UTC)")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderRequest(Body):
    instrument: InstrumentId
    account: AccountId
    side: Side
    type: OrderType = OrderType.LIMIT
    time_in_force: TimeInForce = TimeInForce.GTC
    price: DecimalPrice | None = None
    quantity: Tonnes
    expire_at: BusinessMs | None = None
    client_order_id: ClientOrderId


class AmendRequest(Body):
    price: DecimalPrice | None = None
    quantity: Tonnes | None = Field(default=None, description="the new open (remaining) quantity")


class MassCancelRequest(Body):
    instrument: InstrumentId
    account: AccountId | None = Field(default=None, description="traders must name one of their accounts")
    registry: RegistryId | None = None


class OrderView(BaseModel):
    order_id: str
    client_order_id: str
    account: str
    instrument: str
    side: str
    type: str
    time_in_force: str
    price: str | None
    quantity: int
    leaves: int
    filled: int
    status: str
    reason: str = ""
    created_at: int
    expire_at: int | None = None
    min_fill: int = Field(default=1, description="the smallest execution the order accepts: a cross-border order's "
                          "is the size from which a delivery across its link credits anything; 1 otherwise")


class OrderPage(BaseModel):
    orders: list[OrderView]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null at the end")


class Accepted(BaseModel):
    """A command was published; its outcome arrives as events (WebSocket) and in the order's state."""

    status: str = "ACCEPTED"
    detail: dict[str, Any] = {}


class BalanceLine(BaseModel):
    available: str
    reserved: str


class HoldingLine(BaseModel):
    asset: str
    origin: str
    unit_type: str
    vintage: int
    available: int
    reserved: int


class AccountView(BaseModel):
    account: str
    registry: str
    type: str
    holder: str
    cash: dict[str, BalanceLine]
    holdings: list[HoldingLine]


class InstrumentView(BaseModel):
    id: str
    registry: str
    currency: str
    unit_asset: str
    tick: str
    lot: int
    min_quantity: int
    max_quantity: int | None
    band: str | None
    reference_price: str | None
    phase: Phase
    maker_bps: int
    taker_bps: int


class BookLevel(BaseModel):
    price: str
    quantity: int
    orders: int


class BookView(BaseModel):
    instrument: str
    phase: str
    bids: list[BookLevel]
    asks: list[BookLevel]


class TradeView(BaseModel):
    trade_id: str
    price: str
    quantity: int
    aggressor_side: str | None = None
    at: int


class Candle(BaseModel):
    start: int
    open: str
    high: str
    low: str
    close: str
    volume: int
    trades: int


class KeyRequest(Body):
    principal: PrincipalId
    role: Annotated[str, Field(pattern=r"^(trader|operator|auditor)$")]
    rate: int | None = Field(default=None, strict=True, ge=1, le=1_000_000)
    burst: int | None = Field(default=None, strict=True, ge=1, le=1_000_000)


class KeyCreated(BaseModel):
    key_id: str
    principal: str
    role: str
    api_key: str = Field(description="shown once; only its sha256 is stored")


class KeyView(BaseModel):
    key_id: str
    principal: str
    role: str
    rate: int | None = None
    burst: int | None = None
    created_at: int


class GrantRequest(Body):
    principal: PrincipalId


class CashMovement(Body):
    account: AccountId
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    amount: DecimalPrice
    reference: ClientOrderId | None = Field(default=None, description="idempotency reference of the movement")


class UnitMovement(Body):
    account: AccountId
    origin: RegistryId
    unit_type: Annotated[str, Field(pattern=r"^(ALLOWANCE|OFFSET|CONVERTED)$")]
    vintage: Annotated[int, Field(strict=True, ge=1990, le=2100)]
    quantity: Tonnes
    reference: ClientOrderId | None = None


class SurrenderRequest(UnitMovement):
    period: ClientOrderId


class EmissionsRequest(Body):
    account: AccountId
    period: ClientOrderId
    tonnes: Annotated[int, Field(strict=True, ge=0, le=10**12)]


class HoldingLimitRequest(Body):
    account: AccountId
    asset: Annotated[str, Field(pattern=r"^U:[A-Za-z0-9._-]{1,64}:(ALLOWANCE|OFFSET|CONVERTED):[0-9]{4}$")]
    limit: Annotated[int, Field(strict=True, ge=0, le=10**13)]


class LedgerResult(BaseModel):
    entry_id: str
    ok: bool
    duplicate: bool = False


class PhaseRequest(Body):
    phase: Phase
    reference_price: DecimalPrice | None = None


class ClockRequest(Body):
    now: BusinessMs
    instrument: InstrumentId | None = Field(default=None, description="all instruments when omitted")
