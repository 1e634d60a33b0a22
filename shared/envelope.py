"""The event envelope every Kafka message carries, and its orjson encoding."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    """One message on any topic. `occurred_at` is business time (ms since epoch) decided by the producer.

    `follows` chains a producer's messages of one key on one topic: the event id of the message before this
    one ("" when the producer keeps no chain, or the message is the first). A consumer that must apply them in
    order (settlement, matching's `orders.events`) tells from it that a message arrived before one it has not
    seen, e.g. when a produce failed while a later one succeeded.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=80)
    schema_version: int = Field(default=1, ge=1)
    occurred_at: int = Field(ge=0)
    correlation_id: str = Field(default="", max_length=200)
    follows: str = Field(default="", max_length=200)
    payload: dict[str, Any]


def encode(envelope: Envelope) -> bytes:
    return orjson.dumps(envelope.model_dump(exclude=None if envelope.follows else {"follows"}))


def decode(raw: bytes) -> Envelope:
    """Parse one message; raises ValueError (pydantic ValidationError or orjson error) when it does not parse."""
    return Envelope.model_validate(orjson.loads(raw))
