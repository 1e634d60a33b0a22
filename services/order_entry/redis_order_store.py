"""Order entry's writes to Redis: every accepted command in one call of ``accept.lua`` (the order's record, its
client order id, its ledger reservation and the command's outbox entry, atomically), and the reads the order
desk's decisions need, batched into one round trip. Both scripts go through a ``RedisLane``: concurrent orders'
calls share the lane's writes and reads instead of taking a pooled connection each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import orjson
import redis.asyncio as aioredis

from services.order_entry import purchase_limits
from services.order_entry.principals import (
    CHECK_LUA, DEFAULT_BURST, DEFAULT_RATE, KeyCheck, Role, digest, grants_key, key_check, key_key,
)
from services.order_entry.purchase_limits import PurchaseReads
from shared import market_keys as mk
from shared import order_outbox, oversight_keys, redis_keys, reference_store, wakeup
from shared.business_clock import CLOCK_KEY, business_time
from shared.ledger import Entry, PostResult
from shared.ledger.encoding import POST_LUA, decode
from shared.ledger.encoding import encode as encode_entry
from shared.messages.vocabulary import Message
from shared.redis_lane import RedisLane
from shared.redis_scripts import PipelinedScript
from shared.redis_text import text
from shared.topics import ORDERS_COMMANDS

ACCEPT_LUA = ("local function ledger_post(ARGV)\n" + POST_LUA + "\nend\n"
              + files("services.order_entry").joinpath("accept.lua").read_text(encoding="utf-8"))

SUBMIT_READS_LUA = ("local function check_key(KEYS, ARGV)\n" + CHECK_LUA + "\nend\n"
                    + files("services.order_entry").joinpath("submit_reads.lua").read_text(encoding="utf-8"))

OK, EXISTS, FORBIDDEN, NOT_OPEN, REFUSED = "OK", "EXISTS", "FORBIDDEN", "NOT_OPEN", "REFUSED"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``accept.lua`` answered: OK, EXISTS (with the order id), FORBIDDEN, NOT_OPEN (with the status) or
    REFUSED (with the ledger's result)."""

    status: str
    order_id: str = ""
    order_status: str = ""
    refusal: PostResult | None = None


@dataclass(frozen=True, slots=True)
class SubmitReads:
    """Everything a new order's checks read, in one round trip; ``order_id`` is freshly allotted (unused when
    the order is refused: ids need not be dense)."""

    granted: bool
    existing: str | None
    raw_instrument: bytes | None
    phase: str | None
    reference: int | None
    clip: tuple[int, int] | None  # the session's band override (``shared.market_keys.session_clip``)
    holding_limits: dict[str, int]
    order_id: str
    now: int  # business time (``shared.business_clock``)
    purchases: PurchaseReads | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """A command for matching and where it goes in the outbox."""

    message: Message
    kind: str
    instrument: str
    order_id: str
    event_id: str
    occurred_at: int


def _submit_reads(granted, existing, raw_instrument, phase, reference, clip, limits, seq, clock, bought, *,
                  instrument: str, purchase_period: int | None) -> SubmitReads:
    return SubmitReads(
        granted=bool(granted), existing=text(existing) if existing is not None else None,
        raw_instrument=raw_instrument, phase=text(phase) if phase else None,
        reference=int(reference) if reference else None, clip=mk.parse_clip(clip),
        holding_limits={text(k): int(v) for k, v in limits.items()}, order_id=f"O-{instrument}-{seq}",
        now=business_time(clock),
        purchases=PurchaseReads(purchase_period, *bought) if purchase_period is not None else None)


def command_bytes(command: Command) -> bytes:
    """The command's envelope as published: ``shared.envelope.encode(envelope_for(...))``'s bytes, built without
    the ``Envelope`` model (its fields are set here, within its bounds)."""
    return orjson.dumps({"event_id": command.event_id, "type": type(command.message).__name__, "schema_version": 1,
                         "occurred_at": command.occurred_at, "correlation_id": command.order_id,
                         "payload": command.message.model_dump(mode="json")})


class RedisOrderStore:
    """The order desk's port onto Redis."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._lane = RedisLane(redis)
        self._accept = PipelinedScript(ACCEPT_LUA)
        self._keyed_reads = PipelinedScript(SUBMIT_READS_LUA)

    async def close(self) -> None:
        await self._lane.close()

    async def submit_reads(self, *, principal: str, account: str, client_order_id: str, instrument: str,
                           grants_key: str, purchase_period: int | None = None) -> SubmitReads:
        """With `purchase_period`, the account's purchase limit and purchases in that period are read too."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.sismember(grants_key, account)
        pipe.get(mk.client_order(account, client_order_id))
        pipe.hget(reference_store.INSTRUMENTS, instrument)
        pipe.mget(mk.phase(instrument), mk.reference_price(instrument), mk.session_clip(instrument))
        pipe.hgetall(redis_keys.holding_limits_key(account))
        pipe.incr(mk.order_sequence(instrument))
        pipe.get(CLOCK_KEY)
        if purchase_period is not None:
            purchase_limits.queue_reads(pipe, account=account, period=purchase_period)
        granted, existing, raw_instrument, (phase, reference, clip), limits, seq, clock, *bought = await pipe.execute()
        return _submit_reads(granted, existing, raw_instrument, phase, reference, clip, limits, seq, clock, bought,
                             instrument=instrument, purchase_period=purchase_period)

    async def keyed_submit_reads(self, *, api_key: str, account: str, client_order_id: str, instrument: str,
                                 purchase_period: int | None = None) -> tuple[KeyCheck, SubmitReads | None]:
        """The key's check and rate limit and, for a trader or an operator allowed now, ``submit_reads`` — in
        one call (``submit_reads.lua``)."""
        keys = [key_key(digest(api_key)), mk.client_order(account, client_order_id), reference_store.INSTRUMENTS,
                mk.phase(instrument), mk.reference_price(instrument), mk.session_clip(instrument),
                redis_keys.holding_limits_key(account), mk.order_sequence(instrument), CLOCK_KEY]
        if purchase_period is not None:
            keys += [oversight_keys.PURCHASE_LIMITS, oversight_keys.purchases(account, purchase_period)]
        args = [DEFAULT_RATE, DEFAULT_BURST, grants_key(""), account, instrument]
        reply = await self._lane.evalsha(self._keyed_reads, keys, args)
        check = key_check(reply)
        if check.principal is None or check.retry_after_ms or check.principal.role not in (Role.TRADER, Role.OPERATOR):
            return check, None
        granted, existing, raw_instrument, phase, reference, clip, flat, seq, clock, *bought = reply[4:]
        limits = dict(zip(flat[::2], flat[1::2]))
        return check, _submit_reads(granted, existing, raw_instrument, phase, reference, clip, limits, seq, clock,
                                    bought, instrument=instrument, purchase_period=purchase_period)

    async def order(self, order_id: str) -> dict[str, str]:
        raw = await self._redis.hgetall(mk.order_state(order_id))
        return {text(k): text(v) for k, v in raw.items()}

    async def accept(self, command: Command, *, entry: Entry | None = None, claim: str | None = None,
                     grant: tuple[str, str] | None = None, open_order: bool = False,
                     order: Mapping[str, Any] | None = None, created_at: int = 0) -> Outcome:
        """Run ``accept.lua``: the checks asked for, the ledger entry, the order's record (a new order: ``order``
        fields under ``claim``, the client order id key) and the command's outbox entry, all or nothing."""
        request: dict[str, Any] = {"outbox": {"stream": order_outbox.STREAM, "key": command.instrument,
                                              "kind": command.kind, "order_id": command.order_id,
                                              "wake": wakeup.channel(ORDERS_COMMANDS.name)}}
        keys = {order_outbox.STREAM}
        if claim is not None:
            request["claim"] = {"key": claim}
            keys.add(claim)
        if grant is not None:
            request["grant"] = {"key": grant[0], "account": grant[1]}
            keys.add(grant[0])
        order_key = mk.order_state(command.order_id)
        if open_order:
            request["open"] = {"key": order_key}
            keys.add(order_key)
        if order is not None:
            index = mk.order_index(order["account"])
            request["order"] = {"key": order_key, "id": command.order_id, "index": index,
                                "created_at": str(created_at),
                                "fields": [str(x) for pair in order.items() for x in pair]}
            keys.update((order_key, index))
        ledger_arg: bytes | str = ""
        if entry is not None:
            ledger_keys, ledger_arg = encode_entry(entry)
            keys.update(ledger_keys)
        status, value = await self._lane.evalsha(self._accept, sorted(keys),
                                                 [orjson.dumps(request), ledger_arg, command_bytes(command)])
        status, value = text(status), text(value)
        if status == EXISTS:
            return Outcome(EXISTS, order_id=value)
        if status == NOT_OPEN:
            return Outcome(NOT_OPEN, order_status=value)
        if status == REFUSED:
            return Outcome(REFUSED, refusal=decode([value, 0]))
        return Outcome(status)
