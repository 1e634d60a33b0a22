"""The Redis copy of the events a producer handed to Kafka, kept until their consumer has applied them: what
makes a broker that forgets its topics harmless for a hand-off (matching's `orders.events` to settlement).

Layout (the producer writes, the consumer reads and trims):

- ``outbox:{topic}:{partition}``: a stream; one entry per produced batch, written once the broker acknowledged
  it, with one field per event: its id ``{instrument}:{seq}`` → its envelope bytes, in the order produced.
- ``consumed:{topic}``: a hash, instrument → the highest sequence number the consumer has applied (or
  dead-lettered). The consumer applies an instrument's events in the order produced (each names the one it
  follows, ``Envelope.follows``; one that comes before it is held back), so everything at or below the mark is
  done: it is both the consumer's position and its idempotency check.

After a broker restart the consumer applies the entries it has not yet applied from here, in order, before
reading the recreated topic; the events it then reads again from Kafka are at or below its marks and skipped.
Entries whose every event is at or below its instrument's mark are trimmed from the head of the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from shared import wakeup
from shared.redis_text import text

Events = Sequence[tuple[str, bytes]]


def stream_key(topic: str, partition: int) -> str:
    return f"outbox:{topic}:{partition}"


def marks_key(topic: str) -> str:
    return f"consumed:{topic}"


def position_of(event_id: str) -> tuple[str, int]:
    """``{instrument}:{seq}`` → (instrument, seq); ValueError when the id has no such form."""
    instrument, _, seq = event_id.rpartition(":")
    if not instrument or not seq.isdigit():
        raise ValueError(f"event id {event_id!r} is not {{instrument}}:{{sequence number}}")
    return instrument, int(seq)


async def append(client: aioredis.Redis, topic: str, batches: Mapping[int, Events]) -> None:
    """Keep each partition's acknowledged events as one stream entry (one round trip for all partitions)."""
    pipe = client.pipeline(transaction=False)
    queue_append(pipe, topic, batches)
    await pipe.execute()


def queue_append(pipe: Pipeline, topic: str, batches: Mapping[int, Events]) -> None:
    """`append` queued on a pipeline the caller executes (with the writes that must follow it); the topic's
    consumers are poked (``shared.wakeup``) with it."""
    appended = False
    for partition, events in batches.items():
        if events:
            pipe.xadd(stream_key(topic, partition), dict(events))
            appended = True
    if appended:
        wakeup.queue_poke(pipe, (topic,))


async def entries(client: aioredis.Redis, topic: str, partition: int, *, after: str = "-",
                  count: int = 100) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """Up to ``count`` entries after stream id ``after`` ("-": from the head), each as (id, [(event id, raw)])."""
    start = after if after == "-" else f"({after}"
    found = await client.xrange(stream_key(topic, partition), min=start, max="+", count=count)
    return [(text(entry_id), [(text(k), v) for k, v in fields.items()]) for entry_id, fields in found]


async def marks(client: aioredis.Redis, topic: str, instruments: Iterable[str]) -> dict[str, int]:
    """The consumer's mark of each instrument (0 when it has applied nothing)."""
    names = list(dict.fromkeys(instruments))
    if not names:
        return {}
    values = await client.hmget(marks_key(topic), names)
    return {name: int(value) if value is not None else 0 for name, value in zip(names, values)}


async def record_marks(client: aioredis.Redis, topic: str, applied: Mapping[str, int]) -> None:
    """Raise each instrument's mark to ``applied`` (never lower it: a rebalance may race an old owner)."""
    if applied:
        flat = [x for instrument, seq in applied.items() for x in (instrument, str(seq))]
        await client.register_script(_RAISE_MARKS)(keys=[marks_key(topic)], args=flat)


async def trim(client: aioredis.Redis, topic: str, partition: int, *, budget: int = 200) -> int:
    """Delete head entries whose events are all applied (looking at most ``budget`` entries); how many went."""
    return int(await client.register_script(_TRIM)(keys=[stream_key(topic, partition), marks_key(topic)], args=[budget]))


_RAISE_MARKS = """
for i = 1, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > current then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1
"""

# An entry's fields alternate event id and envelope; an event id ends in ":{seq}" after its instrument.
_TRIM = """
local marks = {}
local removed = 0
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[1]))) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    local instrument, seq = string.match(fields[i], '^(.*):(%d+)$')
    if instrument == nil then return removed end
    if marks[instrument] == nil then
      marks[instrument] = tonumber(redis.call('HGET', KEYS[2], instrument) or '0')
    end
    if tonumber(seq) > marks[instrument] then return removed end
  end
  redis.call('XDEL', KEYS[1], entry[1])
  removed = removed + 1
end
return removed
"""
