"""Publishing a batch of messages and waiting until the broker has acknowledged every one of them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from shared.envelope import encode
from shared.messages import Message, envelope_for


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: str
    key: str
    message: Message
    event_id: str
    occurred_at: int
    correlation_id: str = ""


async def send_all(producer: AIOKafkaProducer, outgoing: Sequence[Outgoing]) -> None:
    """Queue every message in order, then wait for all the acks (raises the first send error)."""
    futures = []
    for out in outgoing:
        envelope = envelope_for(out.message, event_id=out.event_id, occurred_at=out.occurred_at,
                                correlation_id=out.correlation_id)
        futures.append(await producer.send(out.topic, encode(envelope), key=out.key.encode()))
    if futures:
        await asyncio.gather(*futures)
