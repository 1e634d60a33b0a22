"""Commands that a restarted broker forgot, read again from order entry's outbox in Redis (``shared.order_outbox``).

A partition restored from a snapshot taken in an earlier life of `orders.commands` (the broker restarted since)
lost, with the old topic, every command matching applied after that snapshot. Order entry's outbox still holds
them: its relay keeps a command until a snapshot of matching covers it. The snapshot names the last outbox
entry it applied (each published command carries its entry id in a header), so the commands after it are
applied again from the outbox, in outbox order — the order they were published and first applied in — before
anything is read from the new topic. Applied in the same order to the same books they give the same events
with the same ids, which downstream consumers drop as seen; the relay's own copies on the new topic (in whatever
order its publishes after the restart landed) are then dropped by matching as seen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass

import redis.asyncio as aioredis
from pydantic import ValidationError

from shared import order_outbox
from shared.envelope import Envelope, decode
from shared.messages import UnknownMessageType, payload_of
from shared.messages.vocabulary import Message
from shared.redis_text import text

PAGE = 1000


@dataclass(frozen=True, slots=True)
class OutboxCommand:
    entry_id: str
    message: Message
    envelope: Envelope


async def after(redis: aioredis.Redis, entry_id: str, instruments: Collection[str]) -> AsyncIterator[
        list[OutboxCommand]]:
    """Pages of the outbox's commands for `instruments` after `entry_id` ("" for all), oldest first, up to the
    stream's end when the read began."""
    end = await redis.xrevrange(order_outbox.STREAM, count=1)
    if not end:
        return
    last = text(end[0][0])
    start = f"({entry_id}" if entry_id else "-"
    while True:
        entries = await redis.xrange(order_outbox.STREAM, min=start, max=last, count=PAGE)
        if not entries:
            return
        page = []
        for raw_id, fields in entries:
            if text(fields.get(b"k")) not in instruments:
                continue
            try:
                envelope = decode(fields[b"v"])
                page.append(OutboxCommand(text(raw_id), payload_of(envelope), envelope))
            except (KeyError, ValidationError, UnknownMessageType, ValueError):
                continue  # order entry wrote it, so it parses; should it not, the topic's copy is dead-lettered
        if page:
            yield page
        start = f"({text(entries[-1][0])}"
