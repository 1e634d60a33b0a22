"""Mirrors every registry's ledger journal (Redis streams ``{L}:journal:{registry}``) to ``registry.transfers``.

At least once: a page is published and acknowledged before the cursor (``settlement:journal-mirror``, a
hash registry → last mirrored stream id) moves past it; event ids ``journal:{registry}:{stream id}`` let a
reader drop what a restart publishes again.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.settlement.outbox import send_encoded
from shared import redis_keys
from shared.kafka import TRANSIENT_ERRORS
from shared.ledger import views
from shared.topics import REGISTRY_TRANSFERS

log = logging.getLogger(__name__)

CURSORS = "settlement:journal-mirror"
PAGE = 1000
IDLE_S = 0.25


async def mirror_once(client: aioredis.Redis, producer: AIOKafkaProducer) -> int:
    """Publish the next page of every registry's journal past its cursor; how many records were published."""
    registries = sorted(views.text(r) for r in await client.smembers(redis_keys.REGISTRIES))
    if not registries:
        return 0
    cursors = views.text_map(await client.hgetall(CURSORS))
    streams = {redis_keys.journal_key(r): cursors.get(r, "0-0") for r in registries}
    replies = await client.xread(streams, count=PAGE)
    published = 0
    for stream_key, records in replies or ():
        registry = views.text(stream_key).removeprefix(redis_keys.journal_key(""))
        await send_encoded(producer, [(REGISTRY_TRANSFERS.name, registry, _envelope(registry, stream_id, fields))
                                      for stream_id, fields in records])
        await client.hset(CURSORS, registry, views.text(records[-1][0]))
        published += len(records)
    return published


def _envelope(registry: str, stream_id: bytes, fields: dict) -> bytes:
    """A journal record as a `LedgerEntryRecorded` envelope, encoded straight from the stream's fields: its postings
    and meta are JSON already (``post.lua`` wrote them with cjson, the meta as ``shared.ledger.encoding`` encoded it)
    and go in as they are instead of being decoded and encoded again."""
    f = {views.text(name): value for name, value in fields.items()}
    sid = views.text(stream_id)
    entry_id = views.text(f["entry_id"])
    time = int(f["time"])
    postings, meta = _raw(f["postings"]), _raw(f["meta"])
    if not (postings.startswith(b"[") and meta.startswith(b"{")):
        raise ValueError(f"journal record {registry}:{sid} holds no postings list or meta object")
    payload = {"registry": registry, "stream_id": sid, "entry_id": entry_id, "kind": views.text(f["kind"]),
               "time": time, "postings": orjson.Fragment(postings), "meta": orjson.Fragment(meta)}
    return orjson.dumps({"event_id": f"journal:{registry}:{sid}", "type": "LedgerEntryRecorded", "schema_version": 1,
                         "occurred_at": max(time, 0), "correlation_id": entry_id[:200], "payload": payload})


def _raw(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


async def run_journal_mirror(client: aioredis.Redis, producer: AIOKafkaProducer, stop: asyncio.Event) -> None:
    """Mirror until ``stop`` is set; a server that is away only delays the mirror."""
    while not stop.is_set():
        try:
            if await mirror_once(client, producer) < PAGE:
                # Not latency-critical: letting records gather makes fuller pages and producer batches, which
                # costs the broker and this process far less per record than a trickle of small ones.
                await _pause(stop, IDLE_S)
        except TRANSIENT_ERRORS as err:
            log.error("journal mirror paused, retrying: %s", err)
            await asyncio.sleep(1.0)
        except (ValueError, KeyError) as err:  # a journal record that does not decode: report it, do not spin
            log.error("journal mirror cannot decode a record: %s", err)
            await asyncio.sleep(5.0)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
