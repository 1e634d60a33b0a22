"""What settlement writes for a batch, in the order that makes a crash harmless: the ledger plans (each its own
atomic, idempotent entry, all in one round trip), then the trades' states with their account records (at most
once, ``trade_state.lua``), then the events they announce, published and acknowledged.

A plan that settles a trade outright (a domestic delivery versus payment) carries its state change with it: both
go in one ``settle.lua`` call, so such a trade costs one script call and no round trip of its own for its state;
the wake-up poke for `settlement.events` (``shared.wakeup``) rides along in the same pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.settlement import prometheus_metrics as metrics
from services.settlement.outbox import Outgoing, send_all
from services.settlement.trade_state import (
    ALREADY,
    CONFLICT,
    SETTLE_LUA,
    SETTLED,
    TradeStates,
    Transition,
    script_call,
)
from shared import market_keys, redis_scripts, wakeup
from shared.ledger import LedgerPort, Plan, PostResult
from shared.ledger.encoding import decode, encode
from shared.messages.order_events import TradeExecuted
from shared.messages.post_trade import TradeFailed, TradeSettled
from shared.messages.vocabulary import Message
from shared.redis_scripts import PipelinedScript
from shared.topics import SETTLEMENT_EVENTS

log = logging.getLogger(__name__)

_SETTLE = PipelinedScript(SETTLE_LUA)

#: Given the entry id of a plan's entry, the state change to apply with it and the event that announces it.
Then = Callable[[str], tuple[Transition, Outgoing]]


@dataclass(frozen=True, slots=True)
class Moved:
    """A trade moved by ``settle.lua`` with its entry: what ``trade_state.lua`` answered inside it."""

    transition: Transition
    outgoing: Outgoing
    outcome: int


class Effects:
    """The ledger (a port: ``AsyncLedger`` in the service, the in-memory fake in unit tests), the trade states and
    the producer of one settlement instance. Bridge results' releases run through ``ledger.run_many``; the entries of
    `orders.events` are posted through ``settle.lua`` on the same Redis (``settle_plans``: a trade's state moves with
    its entry, and the port knows no trade states), their records read through the port."""

    def __init__(self, redis: aioredis.Redis, producer: AIOKafkaProducer, ledger: LedgerPort) -> None:
        self.redis = redis
        self.producer = producer
        self.ledger = ledger
        self.states = TradeStates(redis)

    async def settle_plans(self, work: Sequence[tuple[Plan, Then | None]]) -> list[tuple[PostResult, Moved | None]]:
        """Read every record the plans need (once each), then post every entry in one round trip; an entry with a
        ``Then`` moves its trade in the same call when the ledger applies it (or applied it before)."""
        if not work:
            return []
        keys = list(dict.fromkeys(key for plan, _ in work for key in plan.reads))
        found = dict(zip(keys, await self.ledger.read_records(keys)))
        calls: list[tuple[list, list, tuple[Transition, Outgoing] | None]] = []
        for plan, then in work:
            entry = plan.build([found[key] for key in plan.reads])
            entry_keys, arg = encode(entry)
            if then is None:
                calls.append((entry_keys, [arg, len(entry_keys)], None))
            else:
                moving = then(entry.entry_id)
                state_keys, state_args = script_call(moving[0])
                calls.append(([*entry_keys, *state_keys], [arg, len(entry_keys), *state_args], moving))

        def build(pipe) -> None:
            for call_keys, args, _ in calls:
                _SETTLE.queue(pipe, call_keys, args)
            if any(moving is not None for _, _, moving in calls):  # settled trades: `TradeSettled` to follow
                wakeup.queue_poke(pipe, (SETTLEMENT_EVENTS.name,))

        replies = await redis_scripts.execute(self.redis, build, _SETTLE)
        out: list[tuple[PostResult, Moved | None]] = []
        for (_, _, moving), reply in zip(calls, replies):
            moved = None if moving is None or len(reply) < 3 else Moved(*moving, int(reply[2]))
            out.append((decode(reply[:2]), moved))
        return out

    async def commit(self, transitions: list[Transition], outgoing: list[Outgoing],
                     moved: Mapping[str, int] | None = None) -> None:
        """Trade states first (the effects of record), then the events: a crash in between republishes them.
        ``moved`` holds what ``settle.lua`` answered for the transitions it already applied, by trade id."""
        moved = moved or {}
        fresh = iter(await self.states.apply([t for t in transitions if t.trade_id not in moved]))
        outcomes = [moved[t.trade_id] if t.trade_id in moved else next(fresh) for t in transitions]
        metrics.trades_recorded(transitions, outcomes)
        conflicts = {t.trade_id for t, outcome in zip(transitions, outcomes) if outcome == CONFLICT}
        for trade_id in conflicts:
            log.error("trade %s is already final in another status; its new outcome is not published", trade_id)
        duplicates = sum(1 for outcome in outcomes if outcome == ALREADY)
        if duplicates:
            log.info("%d trade state change(s) were already applied (redelivery)", duplicates)
        sent = [o for o in outgoing if o.correlation_id not in conflicts]
        await send_all(self.producer, sent)
        # a trade moved by settle.lua was poked for in its pipeline; the others' consumers are poked now
        await wakeup.poke(self.redis, {o.topic for o in sent if o.correlation_id not in moved})


def finish(event: TradeSettled | TradeFailed, status: str, at: int, transitions: list[Transition],
           outgoing: list[Outgoing], *, fields: dict[str, str], matched: TradeExecuted | None,
           started_ms: int | None = None) -> None:
    """A trade reaches its final status: state, account records, and the event on `settlement.events`."""
    if isinstance(event, TradeFailed):
        fields = {**fields, "reason_code": str(event.reason_code), "reason": event.reason, "message": event.message}
    trade_record = trade_json(matched, at) if matched is not None else None
    payload = event.model_dump(mode="json")  # once: the account records and the envelope both carry it
    settlement_record = orjson.dumps({"type": type(event).__name__, **payload, "at": at})
    transitions.append(Transition(event.trade_id, status, fields,
                                  appends(event, trade_record=trade_record, settlement_record=settlement_record),
                                  started_ms))
    prefix = "settle" if status == SETTLED else "fail"
    outgoing.append(Outgoing(SETTLEMENT_EVENTS.name, event.instrument, event, event_id=f"{prefix}:{event.trade_id}",
                             occurred_at=at, correlation_id=event.trade_id, payload=payload))


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

