"""The bridge service end to end on the broker: a request on bridge.requests is answered on bridge.results,
its checks go to bridge.audit, and a request redelivered after the answer gets the same answer."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.bridge.service import main
from shared.kafka import publish
from shared.ledger import Ledger
from shared.messages import payload_of
from shared.messages.post_trade import BridgeCheckRecorded, DeliveryDecided
from shared.runtime import ServiceContext
from shared.settings import Settings
from shared.topics import BRIDGE_AUDIT, BRIDGE_REQUESTS, BRIDGE_RESULTS
from tests.integration.bridge.books import held_trade
from tests.integration.bridge.probes import probe

pytestmark = pytest.mark.integration


async def test_the_service_answers_requests_from_the_topic_and_audits_every_check(
    ledger: Ledger, aredis: aioredis.Redis, producer: AIOKafkaProducer, settings: Settings
) -> None:
    request = held_trade(ledger, 1)
    group = f"bridge-test-{uuid.uuid4().hex[:8]}"
    await _start_group_at_the_end(settings, group)
    ctx = ServiceContext(name="bridge", instance=group, settings=settings, redis=aredis, producer=producer)
    async with probe(settings, BRIDGE_RESULTS.name, BRIDGE_AUDIT.name) as published:
        service = asyncio.create_task(main(ctx, group_id=group))
        try:
            for _ in range(2):
                await publish(producer, BRIDGE_REQUESTS.name, request.instrument, request,
                              event_id=f"deliver:{request.trade_id}", occurred_at=request.matched_at, wait=True)
            envelopes = await published.collect(lambda e: e.correlation_id == request.trade_id, count=3,
                                                timeout=30)
        finally:
            ctx.stop.set()
            await service

    messages = [payload_of(e) for e in envelopes]
    decided = [m for m in messages if isinstance(m, DeliveryDecided)]
    [audited] = [m for m in messages if isinstance(m, BridgeCheckRecorded)]
    assert [(d.outcome, d.delivered_quantity, d.levy_quantity, d.cancelled_quantity) for d in decided] == [
        ("APPROVED", 1_860, 100, 40)] * 2
    assert decided[0].entry_id == f"bridge:{request.trade_id}" and decided[0].link_id == "BJ-KR"
    assert audited.outcome == "APPROVED" and len(audited.checks) == 17


async def _start_group_at_the_end(settings: Settings, group: str) -> None:
    """Commit the group's offsets at the end of bridge.requests, so the service sees only this test's requests."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(BRIDGE_REQUESTS.name, p)
                      for p in consumer.partitions_for_topic(BRIDGE_REQUESTS.name)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        await consumer.commit({tp: await consumer.position(tp) for tp in partitions})
    finally:
        await consumer.stop()
