"""Fan-out of Kafka events to WebSocket subscribers: public channels per instrument (``book:``, ``trades:``,
``phase:``) and, for authenticated subscribers, their own execution reports and settlement events."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from shared.messages import (
    BookDelta, Message, OrderAccepted, OrderAmended, OrderCancelled, OrderExpired, OrderRejected, PhaseChanged,
    TradeExecuted, TradeFailed, TradeSettled,
)

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
PUBLIC_KINDS = ("book", "trades", "phase")
_OWN_ORDER_EVENTS = (OrderAccepted, OrderAmended, OrderCancelled, OrderExpired, OrderRejected)


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


def _accounts_of(message: Message) -> tuple[str, ...]:
    if isinstance(message, _OWN_ORDER_EVENTS):
        return (message.account,)
    if isinstance(message, (TradeExecuted, TradeSettled, TradeFailed)):
        return (message.buy_account, message.sell_account)
    return ()


def _public_channel(message: Message) -> str | None:
    if isinstance(message, BookDelta):
        return f"book:{message.instrument}"
    if isinstance(message, TradeExecuted):
        return f"trades:{message.instrument}"
    if isinstance(message, PhaseChanged):
        return f"phase:{message.instrument}"
    return None


def public_view(message: Message) -> dict[str, Any]:
    """What everyone may see: trades without accounts or order ids."""
    if isinstance(message, TradeExecuted):
        return {"trade_id": message.trade_id, "instrument": message.instrument, "price": message.price,
                "quantity": message.quantity, "aggressor_side": message.aggressor_side}
    return message.model_dump(mode="json")


class Hub:
    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()

    def dispatch(self, message: Message, *, event_id: str, occurred_at: int) -> None:
        kind = type(message).__name__
        channel = _public_channel(message)
        if channel is not None:
            item = {"channel": channel, "type": kind, "event_id": event_id, "at": occurred_at,
                    "data": public_view(message)}
            for sub in self.subscribers:
                if channel in sub.channels:
                    sub.offer(item)
        accounts = _accounts_of(message)
        if accounts:
            channel = "settlements" if isinstance(message, (TradeSettled, TradeFailed)) else "executions"
            item = {"channel": channel, "type": kind, "event_id": event_id, "at": occurred_at,
                    "data": message.model_dump(mode="json")}
            for sub in self.subscribers:
                if sub.accounts is None or sub.accounts.intersection(accounts):
                    sub.offer(item)
