"""Wake-up pokes: a producer tells the consumers of a topic that it has just written to it, through Redis
pub/sub, so that a consumer whose topics were quiet can stop fetching (``shared.fetch_pacer``) and still take the
first message after the quiet spell at once.

The embedded broker never wakes a waiting fetch, so an idle consumer that keeps fetching is what keeps the
broker busy; a consumer that has stopped fetching is woken by a poke instead. A poke travels with what the
producer writes to Redis anyway (an outbox entry, a trade state) or right after its send is acknowledged; it is
only a hint: a consumer woken before the message reaches the broker keeps fetching at the short wait for a while,
and a poke that is lost (Redis away, a consumer subscribing late) costs at most the pacer's doze interval.

Pokes sent from Python (`poke`, `queue_poke`) are throttled: a process pokes a topic at most once per `EVERY_S`.
A poked consumer stays awake for a quiet spell (2 s by default, ``fetch_doze_after_ms``, longer than `EVERY_S`)
after the poke, so whatever follows a poke within `EVERY_S` finds it awake; a busy producer then costs Redis two
commands a second, not one per batch.
Order entry's ``accept.lua`` is the exception: it publishes with every command it accepts, inside the script that
writes the outbox entry (no round trip of its own; a refused order pokes nobody, which a throttle taken before the
script ran could not know).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "wake:"
EVERY_S = 0.5

_poked_at: dict[str, float] = {}


def channel(topic: str) -> str:
    """The pub/sub channel that says `topic` has new messages."""
    return PREFIX + topic


def due(topics: Iterable[str], now: float | None = None) -> list[str]:
    """The topics this process has not poked for `EVERY_S`, marked as poked now."""
    now = time.monotonic() if now is None else now
    out = [topic for topic in topics if now - _poked_at.get(topic, -EVERY_S) >= EVERY_S]
    for topic in out:
        _poked_at[topic] = now
    return out


def queue_poke(pipe: Pipeline, topics: Iterable[str]) -> None:
    """Poke the consumers of `topics` that are `due` from a pipeline the caller executes."""
    for topic in due(topics):
        pipe.publish(channel(topic), b"")


async def poke(client: aioredis.Redis, topics: Iterable[str]) -> None:
    """Poke the consumers of `topics` that are `due` (one round trip, none when none is)."""
    pipe = client.pipeline(transaction=False)
    queue_poke(pipe, topics)
    if len(pipe):
        await pipe.execute()


async def listen(client: aioredis.Redis, topics: Iterable[str], on_poke: Callable[[], None],
                 listening: Callable[[bool], None], stop: asyncio.Event) -> None:
    """Call `on_poke` for every poke on `topics` until `stop`; `listening(True)` once subscribed, `listening(False)`
    whenever pokes may be missed (Redis away), so the consumer keeps fetching meanwhile."""
    channels = [channel(topic) for topic in topics]
    while not stop.is_set():
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(*channels)
            listening(True)
            while not stop.is_set():
                if await pubsub.get_message(timeout=1.0) is not None:
                    on_poke()
        except (RedisError, OSError) as err:
            listening(False)
            log.warning("wake-up pokes unavailable, fetching without them: %s", err)
            await asyncio.sleep(1.0)
        finally:
            listening(False)
            try:
                await pubsub.aclose()
            except (RedisError, OSError):
                pass
