"""The bridge's append-only audit log: every evaluation, its checks and its outcome.

Each record goes to the Redis stream ``bridge:audit`` (what reconciliation reads) and, as a
``BridgeCheckRecorded`` event, to the ``bridge.audit`` topic keyed by link id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.bridge import bridge_keys as keys
from shared.kafka import publish
from shared.messages.post_trade import BridgeCheckRecorded
from shared.topics import BRIDGE_AUDIT

NO_LINK = "-"


async def record(
    client: aioredis.Redis,
    producer: AIOKafkaProducer,
    *,
    trade_id: str,
    link_id: str | None,
    outcome: str,
    reason_code: int,
    time: int,
    checks: list[dict[str, Any]],
    fields: Mapping[str, str] = {},
    decision_key: str | None = None,
) -> None:
    """Append one evaluation to the stream and the topic. ``fields`` adds an approval's quantities; a final
    decision's record (``decision_key``) is marked audited in the same transaction as the stream append."""
    pipe = client.pipeline(transaction=True)
    pipe.xadd(keys.AUDIT_STREAM, {
        **fields,
        "trade_id": trade_id,
        "link_id": link_id or NO_LINK,
        "outcome": outcome,
        "reason_code": str(reason_code),
        "time": str(time),
        "checks": orjson.dumps(checks),
    })
    if decision_key is not None:
        pipe.hset(decision_key, "audited", "1")
    await pipe.execute()
    await publish(
        producer, BRIDGE_AUDIT.name, link_id or NO_LINK,
        BridgeCheckRecorded(trade_id=trade_id, link_id=link_id, checks=checks, outcome=outcome,
                            reason_code=reason_code),
        event_id=f"bridge-check:{trade_id}:{outcome}:{time}", occurred_at=time, correlation_id=trade_id,
    )
