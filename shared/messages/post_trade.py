"""After the trade: settlement's outcomes (`settlement.events`), the delivery request and decision between
settlement and the bridge (`bridge.requests`, `bridge.results`), the bridge's check record (`bridge.audit`) and
the registries' journal entries (`registry.transfers`).
"""

from __future__ import annotations

from typing import Any, Literal

from shared.messages.vocabulary import Message

__all__ = [
    "BridgeCheckRecorded", "DeliveryDecided", "DeliveryRequested", "LedgerEntryRecorded", "TradeFailed",
    "TradeSettled",
]


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
