"""What settlement writes for a batch, in the order that makes a crash harmless: the ledger plans (each its own
atomic, idempotent entry, all in one round trip), then the trades' states with their account records (at most
once, ``trade_state.lua``), then the events they announce, published and acknowledged.

A plan that settles a trade outright (a domestic delivery versus payment) carries its state change with it: both
run in ``settle.lua``, which takes up to ``CALLS_PER_SCRIPT`` entries per call, so a batch costs a few script calls
and such a trade no round trip of its own for its state; the wake-up poke for `settlement.events`
(``shared.wakeup``) rides along in the same pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
from shared.redis_scripts import PipelinedScript
from shared.topics import SETTLEMENT_EVENTS

log = logging.getLogger(__name__)

_SETTLE = PipelinedScript(SETTLE_LUA)
#: Entries per ``settle.lua`` call: a batch in few calls, none holding Redis for more than a few milliseconds.
CALLS_PER_SCRIPT = 100

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
        moving: list[tuple[Transition, Outgoing] | None] = []
        chunks: list[tuple[dict[str, None], list]] = []
        for n, (plan, then) in enumerate(work):
            if n % CALLS_PER_SCRIPT == 0:
                chunks.append(({}, []))
            call_keys, args = chunks[-1]
            read = [found[key] for key in plan.reads]
            if plan.encoded is not None:
                entry_id, entry_keys, arg = plan.encoded(read)
            else:
                entry = plan.build(read)
                entry_id = entry.entry_id
                entry_keys, arg = encode(entry)
            call_keys.update(dict.fromkeys(entry_keys))
            if then is None:
                moving.append(None)
                args += (arg, 0, 0)
            else:
                moved = then(entry_id)
                state_keys, state_args = script_call(moved[0])
                call_keys.update(dict.fromkeys(state_keys))
                moving.append(moved)
                args += (arg, len(state_keys), *state_keys, len(state_args), *state_args)

        def build(pipe) -> None:
            for call_keys, args in chunks:
                _SETTLE.queue(pipe, list(call_keys), args)
            if any(m is not None for m in moving):  # settled trades: `TradeSettled` to follow
                wakeup.queue_poke(pipe, (SETTLEMENT_EVENTS.name,))

        replies = [reply for chunk in (await redis_scripts.execute(self.redis, build, _SETTLE))[:len(chunks)]
                   for reply in chunk]
        out: list[tuple[PostResult, Moved | None]] = []
        for moved, reply in zip(moving, replies):
            out.append((decode(reply[:2]), None if moved is None or len(reply) < 3 else Moved(*moved, int(reply[2]))))
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


def finish_event(event: TradeSettled | TradeFailed, status: str, at: int, transitions: list[Transition],
                 outgoing: list[Outgoing], *, fields: dict[str, str], matched: TradeExecuted | None,
                 started_ms: int | None = None) -> None:
    """``finish`` with the event as its model."""
    if isinstance(event, TradeFailed):
        fields = {**fields, "reason_code": str(event.reason_code), "reason": event.reason, "message": event.message}
    finish(type(event).__name__, event.model_dump(mode="json"), status, at, transitions, outgoing, fields=fields,
           matched=matched, started_ms=started_ms)


def finish(kind: str, payload: Mapping[str, Any], status: str, at: int, transitions: list[Transition],
           outgoing: list[Outgoing], *, fields: dict[str, str], matched: TradeExecuted | None,
           started_ms: int | None = None) -> None:
    """A trade reaches its final status: state, account records, and the event on `settlement.events` (its type's
    name and its payload as ``model_dump(mode="json")`` gives it: the records and the envelope both carry it)."""
    trade_id = payload["trade_id"]
    trade_record = trade_json(matched, at) if matched is not None else None
    settlement_record = orjson.dumps({"type": kind, **payload, "at": at})
    transitions.append(Transition(trade_id, status, fields,
                                  appends(payload["buy_account"], payload["sell_account"], trade_record=trade_record,
                                          settlement_record=settlement_record),
                                  started_ms))
    prefix = "settle" if status == SETTLED else "fail"
    outgoing.append(Outgoing(SETTLEMENT_EVENTS.name, payload["instrument"], kind, payload,
                             event_id=f"{prefix}:{trade_id}", occurred_at=at, correlation_id=trade_id))


def appends(buy_account: str, sell_account: str, *, trade_record: bytes | None = None,
            settlement_record: bytes | None = None) -> list[tuple[str, bytes]]:
    """The account records (``acct:*`` lists) of both sides of a trade."""
    out: list[tuple[str, bytes]] = []
    for account in dict.fromkeys((buy_account, sell_account)):
        if trade_record is not None:
            out.append((market_keys.account_trades(account), trade_record))
        if settlement_record is not None:
            out.append((market_keys.account_settlements(account), settlement_record))
    return out


def trade_json(trade: TradeExecuted, at: int) -> bytes:
    return orjson.dumps({**trade.model_dump(mode="json"), "at": at})

