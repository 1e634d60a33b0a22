"""WebSocket ``/v1/stream`` and the Kafka reader feeding it.

Protocol (JSON text frames): the client sends ``{"op": "subscribe", "channels": ["book:X", "trades:X",
"phase:X"]}``, ``{"op": "unsubscribe", ...}`` or ``{"op": "auth", "api_key": "..."}`` (or connects with an
``X-API-Key`` header); the server answers ``{"op": "ok", ...}`` or ``{"op": "error", "code", "message"}``
and pushes ``{"channel", "type", "event_id", "at", "data"}``. Authenticated traders receive the execution
reports and settlement events of their granted accounts; operators and auditors those of every account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import Callable

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from services.order_entry.outbox_relay import OutboxRelay
from services.order_entry.principals import Role
from services.order_entry.stream_hub import PUBLIC_KINDS, Hub, Subscriber
from shared import topic_incarnation, wakeup
from shared.fetch_pacer import FetchPacer
from shared.kafka import IDLE_FETCHER_TIMEOUT_MS
from shared.redis_text import text
from shared.runtime import ServiceContext
from shared.topics import MARKET_DATA, ORDERS_EVENTS, SETTLEMENT_EVENTS

log = logging.getLogger(__name__)

FOLLOW_TIMEOUT_S = 5.0

router = APIRouter()
_CHANNEL = re.compile(r"^(book|trades|phase):[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Follower:
    """Which of the topics only subscribers want the event reader fetches: ``market.data`` while a subscriber has a
    ``book:`` channel, ``settlement.events`` while one is authenticated (``orders.events`` always: the relay's
    acknowledgements). A topic nobody wants is paused; `follow` resumes it from its end before a subscriber that
    wants it is answered, so every event after that answer reaches it."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: dict[str, list[TopicPartition]] = {}
        self._paused: set[str] = set()
        self._lock = asyncio.Lock()

    def wanted(self) -> set[str]:
        topics = {ORDERS_EVENTS.name}
        for sub in self._hub.subscribers:
            if sub.accounts is None or sub.accounts:
                topics.add(SETTLEMENT_EVENTS.name)
            if any(channel.startswith("book:") for channel in sub.channels):
                topics.add(MARKET_DATA.name)
        return topics

    def attach(self, consumer: AIOKafkaConsumer | None, partitions: list[TopicPartition]) -> None:
        """The reader's consumer, assigned `partitions` and positioned; None when it stopped."""
        self._consumer, self._paused = consumer, set()
        self._partitions = {}
        for tp in partitions:
            self._partitions.setdefault(tp.topic, []).append(tp)

    async def settle(self) -> None:
        """Pause the topics no subscriber wants (again: the fetch pacer resumes what it paused while dozing), and
        resume those wanted again."""
        if self._consumer is None or self._lock.locked():
            return
        wanted = self.wanted()
        unwanted = [tp for topic, tps in self._partitions.items() if topic not in wanted for tp in tps]
        if unwanted:
            self._consumer.pause(*unwanted)
            self._paused |= {tp.topic for tp in unwanted}
        if self._paused & wanted:
            await self.follow()

    async def follow(self) -> None:
        """Resume, from their end, the paused topics a subscriber now wants."""
        async with self._lock:
            consumer, wanted = self._consumer, self.wanted()
            start = [tp for topic in self._paused & wanted for tp in self._partitions[topic]]
            if consumer is None or not start:
                return
            await asyncio.wait_for(consumer.seek_to_end(*start), FOLLOW_TIMEOUT_S)
            consumer.resume(*start)
            self._paused -= wanted

    async def answer_after_follow(self) -> None:
        """`follow` before a subscriber is answered; if the broker is away, the reader catches up on its own."""
        try:
            await self.follow()
        except Exception as err:  # the stream is best effort: the answer goes out anyway
            log.warning("event reader could not follow the topics a subscriber wants: %s", err)


async def _authenticate(ws: WebSocket, sub: Subscriber, api_key: str) -> str | None:
    """Bind the subscriber to the key's accounts; the error code when the key is not valid."""
    ports = ws.app.state.ports
    check = await ports.principals.check(api_key[:200])
    if check.principal is None:
        return "INVALID_API_KEY"
    if check.principal.role is Role.TRADER:
        sub.accounts = set(await ports.principals.granted(check.principal.name))
    else:
        sub.accounts = None
    return None


@router.websocket("/v1/stream")
async def stream(ws: WebSocket) -> None:
    await ws.accept()
    hub: Hub = ws.app.state.hub
    follower: Follower = ws.app.state.follower
    sub = Subscriber()
    hub.subscribers.add(sub)

    async def pump() -> None:
        while True:
            item = await sub.queue.get()
            await ws.send_text(orjson.dumps(item).decode())

    sender = asyncio.create_task(pump())
    try:
        header_key = ws.headers.get("x-api-key")
        if header_key:
            error = await _authenticate(ws, sub, header_key)
            await follower.answer_after_follow()
            await ws.send_json({"op": "error", "code": error} if error else {"op": "ok", "authenticated": True})
        while True:
            try:
                request = orjson.loads(await ws.receive_text())
                op = request.get("op") if isinstance(request, dict) else None
            except orjson.JSONDecodeError:
                op, request = None, {}
            if op in ("subscribe", "unsubscribe"):
                channels = request.get("channels")
                if not isinstance(channels, list) or not all(isinstance(c, str) and _CHANNEL.match(c) for c in channels):
                    await ws.send_json({"op": "error", "code": "INVALID_CHANNEL",
                                        "message": f"channels are {', '.join(k + ':{instrument}' for k in PUBLIC_KINDS)}"})
                    continue
                (sub.channels.update if op == "subscribe" else sub.channels.difference_update)(channels)
                await follower.answer_after_follow()
                await ws.send_json({"op": "ok", "channels": sorted(sub.channels)})
            elif op == "auth" and isinstance(request.get("api_key"), str):
                error = await _authenticate(ws, sub, request["api_key"])
                await follower.answer_after_follow()
                await ws.send_json({"op": "error", "code": error} if error else {"op": "ok", "authenticated": True})
            else:
                await ws.send_json({"op": "error", "code": "INVALID_REQUEST",
                                    "message": "send {op: subscribe|unsubscribe|auth, ...}"})
    except WebSocketDisconnect:
        pass
    finally:
        hub.subscribers.discard(sub)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


async def run_event_reader(ctx: ServiceContext, hub: Hub, relay: OutboxRelay | None = None,
                           follower: Follower | None = None) -> None:
    """Read the event topics from their end (no consumer group: every order entry process sees every event).

    With a `follower`, the topics no subscriber wants are not fetched (see `Follower`). Each event is decoded once
    (orjson, no model): its type and payload go to the relay (``orders.events``: which commands matching has
    applied) and to the hub, which builds nothing when no subscriber wants the event. A
    message that does not decode is skipped here; the topic's own consumers dead-letter it. A topic recreated by
    a broker restart (its ``shared.topic_incarnation`` token changed, checked once a second) is read again from
    its start: everything in it is new, and its end would skip what came before this reader noticed.
    """
    topics = (ORDERS_EVENTS.name, MARKET_DATA.name, SETTLEMENT_EVENTS.name)
    recreated: set[str] = set()
    while not ctx.stop.is_set():
        pokes: asyncio.Task | None = None
        consumer = AIOKafkaConsumer(
            bootstrap_servers=ctx.settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
            client_id=f"{ctx.instance}-stream-{uuid.uuid4().hex[:6]}", fetch_max_wait_ms=ctx.settings.fetch_max_wait_ms,
            consumer_timeout_ms=IDLE_FETCHER_TIMEOUT_MS)
        try:
            await consumer.start()
            tokens = await _incarnations(ctx, topics)
            partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
            consumer.assign(partitions)
            for start, seek in ((True, consumer.seek_to_beginning), (False, consumer.seek_to_end)):
                if chosen := [tp for tp in partitions if (tp.topic in recreated) == start]:
                    await seek(*chosen)
            recreated = set()
            if follower is not None:
                follower.attach(consumer, partitions)
            pacer = FetchPacer.of(consumer, ctx.settings)
            pokes = asyncio.create_task(wakeup.listen(ctx.redis, topics, pacer.wake, pacer.listening, ctx.stop))
            checked_at = time.monotonic()
            while not ctx.stop.is_set() and not recreated:
                if follower is not None:
                    await follower.settle()
                batches = await consumer.getmany(timeout_ms=pacer.timeout_ms(200), max_records=2000)
                pacer.fetched(bool(batches))
                ctx.mark_ready()
                for tp, records in batches.items():
                    acknowledge = relay.on_event if relay is not None and tp.topic == ORDERS_EVENTS.name else None
                    for record in records:
                        _deliver(record.value, hub, acknowledge)
                if time.monotonic() - checked_at >= 1.0:
                    checked_at = time.monotonic()
                    now = await _incarnations(ctx, topics)
                    recreated = {topic for topic in topics if now[topic] != tokens[topic]}
            if recreated:
                log.warning("%s recreated (broker restart): reading again from the start", ", ".join(sorted(recreated)))
        except asyncio.CancelledError:
            raise
        except Exception as err:  # the broker may be away: retry, the stream is best effort
            if asyncio.current_task().cancelling():  # a cancellation the client library turned into an error
                raise asyncio.CancelledError from err
            log.warning("event reader restarting: %s", err)
            await asyncio.sleep(1.0)
        finally:
            if follower is not None:
                follower.attach(None, [])
            if pokes is not None:
                pokes.cancel()
            with contextlib.suppress(Exception):
                await consumer.stop()


async def _incarnations(ctx: ServiceContext, topics: tuple[str, ...]) -> dict[str, str]:
    raw = await ctx.redis.mget([topic_incarnation.incarnation_key(topic) for topic in topics])
    return {topic: text(value) for topic, value in zip(topics, raw)}


def _deliver(value: bytes | None, hub: Hub, acknowledge: Callable[[str, dict], None] | None) -> None:
    try:
        event = orjson.loads(value or b"")
        kind, payload = event["type"], event["payload"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return
    if not isinstance(kind, str) or not isinstance(payload, dict):
        return
    if acknowledge is not None:
        acknowledge(kind, payload)
    hub.dispatch(kind, payload, event_id=str(event.get("event_id", "")), occurred_at=event.get("occurred_at", 0))
