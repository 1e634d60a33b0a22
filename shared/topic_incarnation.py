"""Which life of a topic offsets belong to: the embedded broker forgets every topic when it restarts, while
Redis (with its append-only file) keeps state that names offsets, such as matching's snapshots.

Whoever creates a topic records a fresh incarnation token for it in Redis; a snapshot taken in one
incarnation says nothing about offsets in the next, so its reader starts that topic from the beginning.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

import redis
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from shared.redis_text import text

log = logging.getLogger(__name__)


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


class Watch:
    """Seeks a consumer back to offset 0 of every assigned topic whose incarnation changed since it last looked.

    A consumer's position survives a broker restart (in the client, or committed into the new broker's group by
    a batch that was in flight): once the recreated topic has grown past it, the consumer would silently skip
    the new incarnation's first messages. Everything in a new incarnation was produced after the restart, so
    reading it from the start repeats nothing the idempotent handlers have not already seen.
    """

    def __init__(self, client: aioredis.Redis, consumer: AIOKafkaConsumer) -> None:
        self._redis = client
        self._consumer = consumer
        self._seen: dict[str, str] = {}

    async def check(self) -> list[TopicPartition]:
        """Compare the assigned topics' tokens with the last seen ones; the partitions sought back to 0."""
        assigned = self._consumer.assignment()
        topics = sorted({tp.topic for tp in assigned})
        if not topics:
            return []
        tokens = [text(raw) for raw in await self._redis.mget([incarnation_key(topic) for topic in topics])]
        rewound = []
        for topic, token in zip(topics, tokens):
            before = self._seen.get(topic)
            self._seen[topic] = token
            if before is not None and before != token:
                for tp in sorted(tp for tp in assigned if tp.topic == topic):
                    self._consumer.seek(tp, 0)
                    rewound.append(tp)
        if rewound:
            log.warning("topics recreated (broker restart): reading %s again from offset 0",
                        ", ".join(f"{tp.topic}[{tp.partition}]" for tp in rewound))
            try:  # a batch of the old incarnation may have committed its offset into the new group: undo that
                await self._consumer.commit({tp: 0 for tp in rewound})
            except KafkaError as err:
                log.warning("could not commit offset 0 of the recreated topics: %s", err)
        return rewound
