"""Fan-out of Kafka events to WebSocket subscribers: public channels per instrument (``book:``, ``trades:``,
``phase:``) and, for authenticated subscribers, their own execution reports and settlement events (their own
side of a trade only, see ``trade_views``). Events arrive decoded once, as the envelope's type and payload
(JSON); an event no subscriber wants costs a few lookups and builds nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.order_entry.trade_views import own_side

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
PUBLIC_KINDS = ("book", "trades", "phase")
_OWN_ORDER_EVENTS = frozenset({"OrderAccepted", "OrderAmended", "OrderCancelled", "OrderExpired", "OrderRejected"})
_TRADE_EVENTS = frozenset({"TradeExecuted", "TradeSettled", "TradeFailed"})
_SETTLEMENT_EVENTS = frozenset({"TradeSettled", "TradeFailed"})
_PUBLIC_CHANNELS = {"BookDelta": "book", "TradeExecuted": "trades", "PhaseChanged": "phase"}
_PUBLIC_TRADE_FIELDS = ("trade_id", "instrument", "price", "quantity", "aggressor_side")


@dataclass(eq=False)
class Subscriber:
    """One WebSocket: its public channels, the accounts whose private events it receives (None: every account)."""

    channels: set[str] = field(default_factory=set)
    accounts: set[str] | None = field(default_factory=set)
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: int = 0

    def offer(self, item: dict[str, Any]) -> None:
        """A slow client loses messages rather than slowing everyone down; it is told how many."""
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1


def _accounts_of(kind: str, payload: Mapping[str, Any]) -> tuple[Any, ...]:
    if kind in _OWN_ORDER_EVENTS:
        return (payload.get("account"),)
    if kind in _TRADE_EVENTS:
        return (payload.get("buy_account"), payload.get("sell_account"))
    return ()


def public_view(kind: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """What everyone may see: trades without accounts or order ids."""
    if kind == "TradeExecuted":
        return {name: payload.get(name) for name in _PUBLIC_TRADE_FIELDS}
    return payload


class Hub:
    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()

    def dispatch(self, kind: str, payload: Mapping[str, Any], *, event_id: str, occurred_at: int) -> None:
        """Offer one event (its envelope's type and payload) to every subscriber that wants it."""
        if not self.subscribers:
            return
        public = _PUBLIC_CHANNELS.get(kind)
        if public is not None:
            channel = f"{public}:{payload.get('instrument')}"
            item = None
            for sub in self.subscribers:
                if channel in sub.channels:
                    item = item or {"channel": channel, "type": kind, "event_id": event_id, "at": occurred_at,
                                    "data": public_view(kind, payload)}
                    sub.offer(item)
        accounts = _accounts_of(kind, payload)
        if not accounts:
            return
        channel = "settlements" if kind in _SETTLEMENT_EVENTS else "executions"
        trade = kind in _TRADE_EVENTS
        for sub in self.subscribers:
            if sub.accounts is None:
                data: Mapping[str, Any] = payload
            elif any(account in sub.accounts for account in accounts):
                data = own_side(payload, sub.accounts) if trade else payload
            else:
                continue
            sub.offer({"channel": channel, "type": kind, "event_id": event_id, "at": occurred_at, "data": data})
