"""What settlement writes for a batch, in the order that makes a crash harmless: the ledger plans (each its own
atomic, idempotent entry, all in one round trip), then the trades' states with their account records (at most
once, ``trade_state.lua``), then the events they announce, published and acknowledged.
"""

from __future__ import annotations

import logging
import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.settlement import prometheus_metrics as metrics
from services.settlement.outbox import Outgoing, send_all
from services.settlement.trade_state import ALREADY, CONFLICT, SETTLED, TradeStates, Transition
from shared import market_keys
from shared.ledger import LedgerPort
from shared.messages.order_events import TradeExecuted
from shared.messages.post_trade import TradeFailed, TradeSettled
from shared.messages.vocabulary import Message
from shared.topics import SETTLEMENT_EVENTS

log = logging.getLogger(__name__)


class Effects:
    """The ledger (a port: ``AsyncLedger`` in the service, the in-memory fake in unit tests), the trade states and
    the producer of one settlement instance. The ledger's plans run through ``ledger.run_many``."""

    def __init__(self, redis: aioredis.Redis, producer: AIOKafkaProducer, ledger: LedgerPort) -> None:
        self.redis = redis
        self.producer = producer
        self.ledger = ledger
        self.states = TradeStates(redis)

    async def commit(self, transitions: list[Transition], outgoing: list[Outgoing]) -> None:
        """Trade states first (the effects of record), then the events: a crash in between republishes them."""
        outcomes = await self.states.apply(transitions)
        metrics.trades_recorded(transitions, outcomes)
        conflicts = {t.trade_id for t, outcome in zip(transitions, outcomes) if outcome == CONFLICT}
        for trade_id in conflicts:
            log.error("trade %s is already final in another status; its new outcome is not published", trade_id)
        duplicates = sum(1 for outcome in outcomes if outcome == ALREADY)
        if duplicates:
            log.info("%d trade state change(s) were already applied (redelivery)", duplicates)
        await send_all(self.producer, [o for o in outgoing if o.correlation_id not in conflicts])


def finish(event: TradeSettled | TradeFailed, status: str, at: int, transitions: list[Transition],
           outgoing: list[Outgoing], *, fields: dict[str, str], matched: TradeExecuted | None,
           started_ms: int | None = None) -> None:
    """A trade reaches its final status: state, account records, and the event on `settlement.events`."""
    if isinstance(event, TradeFailed):
        fields = {**fields, "reason_code": str(event.reason_code), "reason": event.reason, "message": event.message}
    trade_record = trade_json(matched, at) if matched is not None else None
    transitions.append(Transition(event.trade_id, status, fields,
                                  appends(event, trade_record=trade_record, settlement_record=_event_json(event, at)),
                                  started_ms))
    prefix = "settle" if status == SETTLED else "fail"
    outgoing.append(Outgoing(SETTLEMENT_EVENTS.name, event.instrument, event, event_id=f"{prefix}:{event.trade_id}",
                             occurred_at=at, correlation_id=event.trade_id))


def appends(message: Message, *, trade_record: bytes | None = None,
            settlement_record: bytes | None = None) -> list[tuple[str, bytes]]:
    """The account records (``acct:*`` lists) of both sides of a trade."""
    accounts = dict.fromkeys((message.buy_account, message.sell_account))  # type: ignore[attr-defined]
    out: list[tuple[str, bytes]] = []
    for account in accounts:
        if trade_record is not None:
            out.append((market_keys.account_trades(account), trade_record))
        if settlement_record is not None:
            out.append((market_keys.account_settlements(account), settlement_record))
    return out


def trade_json(trade: TradeExecuted, at: int) -> bytes:
    return orjson.dumps({**trade.model_dump(mode="json"), "at": at})


def _event_json(event: TradeSettled | TradeFailed, at: int) -> bytes:
    return orjson.dumps({"type": type(event).__name__, **event.model_dump(mode="json"), "at": at})
