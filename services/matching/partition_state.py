"""The books one matching instance owns for one partition, and their snapshot in Redis.

A snapshot holds every engine of the partition and the offset of the next command to apply; on assignment
the service restores it and replays from that offset, rebuilding books identical to ones that never stopped.
The offset belongs to one incarnation of the topic (see `shared.topic_incarnation`): after the embedded broker
lost its topics, the books carry on and the commands are read from the new topic's beginning. With the books
goes each instrument's last `orders.events` event id (its head), which the next event names as the one it
follows: a replay from the snapshot therefore sends the very same envelopes. With them goes the last entry of
order entry's outbox applied: after a broker restart the commands after it come from that outbox
(``services.matching.command_replay``). Written with every snapshot, the
offset it covers tells order entry's relay which commands it may forget (`shared.order_outbox.covered_key`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
import redis.asyncio as aioredis

from services.matching.core import MatchingEngine
from shared import market_keys as keys
from shared import order_outbox


@dataclass
class PartitionState:
    topic: str
    partition: int
    next_offset: int = 0
    incarnation: str = ""
    engines: dict[str, MatchingEngine] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)  # instrument → its last event id on orders.events
    mirrored: dict[str, int] = field(default_factory=dict)
    outbox_id: str = ""  # the last order entry outbox entry applied (``shared.order_outbox.HEADER``)
    commands_since_snapshot: int = 0
    snapshot_at: float = 0.0
    replay_outbox: bool = False  # restored in a new life of the topic: apply the outbox after `outbox_id` first

    def applied_entry(self, entry_id: str) -> None:
        if entry_id:
            order = order_outbox.stream_order(entry_id)
            if order > self._outbox_order:
                self.outbox_id, self._outbox_order = entry_id, order

    def __post_init__(self) -> None:
        self._outbox_order = order_outbox.stream_order(self.outbox_id)

    def to_json(self) -> bytes:
        return orjson.dumps({
            "next_offset": self.next_offset,
            "incarnation": self.incarnation,
            "outbox_id": self.outbox_id,
            "engines": {instrument: engine.snapshot() for instrument, engine in self.engines.items()},
            "heads": self.heads,
        })


async def load(redis: aioredis.Redis, topic: str, partition: int) -> PartitionState | None:
    raw = await redis.get(keys.matching_snapshot(topic, partition))
    if raw is None:
        return None
    data = orjson.loads(raw)
    state = PartitionState(topic, partition, next_offset=data["next_offset"], incarnation=data.get("incarnation", ""),
                           outbox_id=data.get("outbox_id", ""),
                           engines={i: MatchingEngine.restore(s) for i, s in data["engines"].items()},
                           heads=data.get("heads", {}))
    for instrument in state.engines:
        seq = await redis.get(keys.mirrored_seq(instrument))
        state.mirrored[instrument] = int(seq or 0)
    return state


def owner_key(topic: str, partition: int) -> str:
    """String: the matching instance that owns a command partition (set on assignment, for operators and tests)."""
    return f"matching:owner:{topic}:{partition}"


def capture(state: PartitionState) -> dict[str, bytes]:
    """The snapshot of `state` as it is now, to be written (one MSET) once everything before it is durable: the
    books, and what they cover for order entry's relay (`shared.order_outbox.covered_key`)."""
    state.commands_since_snapshot = 0
    covered = order_outbox.covered_value(state.incarnation, state.next_offset)
    return {keys.matching_snapshot(state.topic, state.partition): state.to_json(),
            order_outbox.covered_key(state.topic, state.partition): covered.encode()}


async def save(redis: aioredis.Redis, state: PartitionState) -> None:
    await redis.mset(capture(state))
