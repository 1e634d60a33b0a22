"""A group consumer that is replaced when it stops consuming, the rule that says when, and the service's
readiness that follows it.

Why: after a broker restart (every topic, offset and group lost) aiokafka's group consumer was seen, about once
in thirty kill tests, never to rejoin its group: no assignment, no error, no log line, for minutes, while the
broker answered and work waited. Nothing in the client recovers from that, so the service does it.

`Membership` (pure: the caller passes the time) decides. A consumer is a *member* once a join of its group
completed (`on_partitions_assigned`, with or without partitions) and no subscribed topic was recreated since
(its `shared.topic_incarnation` token changed: the broker that held the group restarted). It *consumes* while
it is a member and its fetch loop came back from a fetch within `FETCH_STALL_S`. With the broker reachable
(the service's producer heartbeat succeeds), a consumer that has not been a member for `JOIN_S` (joins are
held ~3 s on the embedded broker) or whose fetch loop has been stuck for `LOOP_STALL_S` is replaced:
`WatchedConsumer.supervise` cancels the loop, closes the consumer and builds, subscribes and starts a new one,
and logs why. Every handler is idempotent and commits after its effect, so what the cancelled loop had
fetched is fetched again. Readiness (`ServiceContext.mark_ready` / `mark_not_ready`, hence `stack status` and
order entry's health) is "consumes".

`WatchedConsumer` stands in for the `AIOKafkaConsumer` (attributes it does not define are the current
consumer's), so the fetch loop, the pacer, the lag gauge and the offset committers keep one reference.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from shared import topic_incarnation
from shared.redis_text import text

log = logging.getLogger(__name__)

JOIN_S = 15.0
LOOP_STALL_S = 60.0
FETCH_STALL_S = 5.0
CHECK_EVERY_S = 1.0


class Membership:
    """When a consumer consumes, and when it must be replaced; times are the caller's monotonic seconds."""

    def __init__(self, now: float, *, join_s: float = JOIN_S, loop_stall_s: float = LOOP_STALL_S,
                 fetch_stall_s: float = FETCH_STALL_S) -> None:
        self._join_s, self._loop_stall_s, self._fetch_stall_s = join_s, loop_stall_s, fetch_stall_s
        self.restarted(now)

    def restarted(self, now: float) -> None:
        """A new consumer: not a member until its first join."""
        self._out_since: float | None = now  # not a member since then (None: a member)
        self._why_out = "has not joined its group yet"
        self._fetched_at = now
        self._tokens: tuple[str, ...] | None = None  # topic incarnations when it last joined
        self._broker_back_at = now

    def joined(self) -> None:
        self._out_since = None
        self._tokens = None  # the next observation is what this join saw

    def fetched(self, now: float) -> None:
        self._fetched_at = now

    def observe(self, now: float, tokens: tuple[str, ...] | None, *, broker_ok: bool) -> None:
        """The subscribed topics' incarnation tokens now (None: Redis did not answer) and the broker's health."""
        if not broker_ok:
            self._broker_back_at = now  # a consumer cannot join an absent broker: no time counts against it
        if tokens is None or self._out_since is not None:
            return
        if self._tokens is None:
            self._tokens = tokens
        elif tokens != self._tokens:
            self._out_since = now
            self._why_out = "a subscribed topic was recreated (broker restart) and it has not rejoined its group"

    def consuming(self, now: float) -> str | None:
        """None when the consumer consumes; else why not."""
        if self._out_since is not None:
            return self._why_out
        if now - self._fetched_at > self._fetch_stall_s:
            return f"no fetch for {now - self._fetched_at:.0f}s"
        return None

    def verdict(self, now: float) -> str | None:
        """Why the consumer must be replaced now, or None."""
        if self._out_since is not None:
            out_s = now - max(self._out_since, self._broker_back_at)
            if out_s >= self._join_s:
                return f"{self._why_out} for {out_s:.0f}s while the broker answers"
        stalled_s = now - max(self._fetched_at, self._broker_back_at)
        if stalled_s >= self._loop_stall_s:
            return f"its fetch loop has not fetched for {stalled_s:.0f}s while the broker answers"
        return None


class Health(Protocol):
    """What the watchdog reads and sets of its service (`shared.runtime.ServiceContext` is one)."""

    kafka_ok: bool

    def mark_ready(self) -> None: ...

    def mark_not_ready(self, reason: str) -> None: ...


class WatchedConsumer:
    """A group consumer that `supervise` replaces by a new one when `Membership` says so."""

    def __init__(self, build: Callable[[], AIOKafkaConsumer], redis: aioredis.Redis, health: Health, *,
                 abandon: Callable[[list[TopicPartition]], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.monotonic, **rule: float) -> None:
        """`abandon` is told the partitions of a consumer being replaced (default: the listener's
        `on_partitions_revoked`); the new consumer's join assigns partitions again."""
        self._build, self._redis, self._health, self._clock = build, redis, health, clock
        self._abandon = abandon
        self._consumer = build()
        self._topics: list[str] = []
        self._listener: ConsumerRebalanceListener | None = None
        self.membership = Membership(clock(), **rule)
        self.replaced = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)

    def subscribe(self, topics: Sequence[str], listener: ConsumerRebalanceListener | None = None) -> None:
        self._topics, self._listener = list(topics), listener
        self._consumer.subscribe(self._topics, listener=_Joins(listener, self.membership))

    async def getmany(self, *partitions: Any, timeout_ms: int = 0, max_records: int | None = None) -> dict:
        batches = await self._consumer.getmany(*partitions, timeout_ms=timeout_ms, max_records=max_records)
        now = self._clock()
        self.membership.fetched(now)
        if self.membership.consuming(now) is None:
            self._health.mark_ready()
        return batches

    async def start(self, stop: asyncio.Event) -> bool:
        """Start the consumer, retrying while the broker is away; False if `stop` came first."""
        delay = 0.2
        while not stop.is_set():
            try:
                await self._consumer.start()
                return True
            except KafkaError as err:
                log.error("consumer cannot start yet, retrying: %s", err)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        return False

    async def supervise(self, loop: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
        """Run the fetch loop until it returns; replace the consumer (and run the loop again) whenever it is stuck."""
        while not stop.is_set():
            task = asyncio.create_task(loop())
            reason = await self._watch(task)
            if reason is None:
                await task
                return
            log.warning("replacing the consumer of %s: %s", ",".join(self._topics), reason)
            self._health.mark_not_ready(f"consumer being replaced: {reason}")
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            await self._replace(stop)

    async def _watch(self, task: asyncio.Task) -> str | None:
        while True:
            done, _ = await asyncio.wait({task}, timeout=CHECK_EVERY_S)
            if done:
                return None
            now = self._clock()
            self.membership.observe(now, await self._tokens(), broker_ok=self._health.kafka_ok)
            why_not = self.membership.consuming(now)
            if why_not is not None:
                self._health.mark_not_ready(why_not)
            reason = self.membership.verdict(now)
            if reason is not None:
                return reason

    async def _tokens(self) -> tuple[str, ...] | None:
        if not self._topics:
            return ()
        try:
            raw = await self._redis.mget([topic_incarnation.incarnation_key(topic) for topic in self._topics])
        except Exception as err:  # Redis away: nothing learned this round
            log.debug("cannot read the topics' incarnations: %s", err)
            return None
        return tuple(text(value) for value in raw)

    async def _replace(self, stop: asyncio.Event) -> None:
        old = self._consumer
        revoked = list(old.assignment())
        try:
            if self._abandon is not None:
                await asyncio.wait_for(self._abandon(revoked), timeout=10.0)
            elif revoked:
                await asyncio.wait_for(_call(self._listener, "on_partitions_revoked", revoked), timeout=10.0)
        except Exception as err:  # the new member's partitions are rebuilt from Redis on assignment anyway
            log.error("giving up %s before replacing the consumer failed: %s", revoked, err)
        try:
            await asyncio.wait_for(old.stop(), timeout=5.0)
        except Exception as err:  # a wedged client: left to the garbage collector
            log.error("the stuck consumer did not close cleanly: %s", err)
        self._consumer = self._build()
        self._consumer.subscribe(self._topics, listener=_Joins(self._listener, self.membership))
        self.membership.restarted(self._clock())
        self.replaced += 1
        await self.start(stop)


class _Joins(ConsumerRebalanceListener):
    """The service's listener, and a note to `Membership` after every completed join."""

    def __init__(self, inner: ConsumerRebalanceListener | None, membership: Membership) -> None:
        self._inner, self._membership = inner, membership

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await _call(self._inner, "on_partitions_revoked", revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await _call(self._inner, "on_partitions_assigned", assigned)
        self._membership.joined()


async def _call(listener: ConsumerRebalanceListener | None, method: str, partitions: Any) -> None:
    """A listener's method may be a coroutine function or a plain one (aiokafka takes both)."""
    if listener is not None:
        result = getattr(listener, method)(partitions)
        if inspect.isawaitable(result):
            await result
