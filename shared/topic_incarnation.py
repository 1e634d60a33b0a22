"""Which life of a topic offsets belong to: the embedded broker forgets every topic when it restarts, while
Redis (with its append-only file) keeps state that names offsets, such as matching's snapshots.

Whoever creates a topic records a fresh incarnation token for it in Redis; a snapshot taken in one
incarnation says nothing about offsets in the next, so its reader starts that topic from the beginning.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import redis
import redis.asyncio as aioredis

from shared.redis_text import text


def incarnation_key(topic: str) -> str:
    return f"kafka:incarnation:{topic}"


def record_created(client: redis.Redis, created: Iterable[str]) -> None:
    """Give every topic just created a new incarnation token."""
    for topic in created:
        client.set(incarnation_key(topic), uuid.uuid4().hex)


async def current(client: aioredis.Redis, topic: str) -> str:
    """The topic's incarnation token ("" before any was recorded)."""
    raw = await client.get(incarnation_key(topic))
    return text(raw)
