"""Publishing a batch of messages and waiting until the broker has acknowledged every one of them.

The messages are packed into one record batch per topic partition (a new one when full), in order, as
`send(key=...)` would place them (the partition of a key computed once): a future, a timer and a coroutine per
message cost more than the message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import orjson
from aiokafka.partitioner import DefaultPartitioner

from shared.kafka import ServiceProducer
from shared.messages.vocabulary import Message

_partitioner = DefaultPartitioner()


@lru_cache(maxsize=65536)
def _partition(key: bytes, partitions: tuple[int, ...]) -> int:
    """Where `send(key=...)` puts ``key``: aiokafka's murmur2 is pure Python, and the keys (instruments, registries)
    recur in every batch."""
    return _partitioner(key, partitions, partitions)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish: its envelope's fields, the message as its type's name and its JSON payload (what
    ``model_dump(mode="json")`` gives; ``of`` makes one from a message)."""

    topic: str
    key: str
    type: str
    payload: Mapping[str, object]
    event_id: str
    occurred_at: int
    correlation_id: str = ""

    @classmethod
    def of(cls, topic: str, key: str, message: Message, *, event_id: str, occurred_at: int,
           correlation_id: str = "") -> Outgoing:
        return cls(topic, key, type(message).__name__, message.model_dump(mode="json"), event_id, occurred_at,
                   correlation_id)

    def encoded(self) -> bytes:
        """The envelope's bytes (``shared.envelope``), built without a second validation pass."""
        return orjson.dumps({"event_id": self.event_id, "type": self.type, "schema_version": 1,
                             "occurred_at": self.occurred_at, "correlation_id": self.correlation_id,
                             "payload": self.payload})


async def send_all(producer: ServiceProducer, outgoing: Sequence[Outgoing]) -> None:
    """Queue every message in order, then wait for all the acks (raises the first send error)."""
    await send_encoded(producer, [(out.topic, out.key, out.encoded()) for out in outgoing])


async def send_encoded(producer: ServiceProducer, records: Sequence[tuple[str, str, bytes]]) -> None:
    """Queue every (topic, key, envelope bytes) in order, then wait for all the acks."""
    partitions: dict[str, tuple[int, ...]] = {}
    batches: dict[tuple[str, int], object] = {}
    deliveries = []
    for topic, key, value in records:
        raw_key = key.encode()
        every = partitions.get(topic)
        if every is None:
            every = partitions[topic] = tuple(sorted(await producer.partitions_for(topic)))
        where = (topic, _partition(raw_key, every))
        batch = batches.get(where)
        if batch is None or batch.append(key=raw_key, value=value, timestamp=None, headers=producer.headers) is None:
            if batch is not None:
                deliveries.append(await producer.send_batch(batch, topic, partition=where[1]))
            batch = batches[where] = producer.create_batch()
            if batch.append(key=raw_key, value=value, timestamp=None, headers=producer.headers) is None:
                raise ValueError(f"a message of {len(value)} bytes does not fit in a produce batch")
    for (topic, partition), batch in batches.items():
        deliveries.append(await producer.send_batch(batch, topic, partition=partition))
    if deliveries:
        await asyncio.gather(*deliveries)
