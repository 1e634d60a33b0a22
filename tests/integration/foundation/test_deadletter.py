"""A message that does not parse lands on the dead-letter topic with its reason; the consumer keeps consuming."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from shared.envelope import decode
from shared.kafka import Delivery, consume, create_topics, make_consumer, make_producer, publish
from shared.messages import payload_of
from shared.messages.operations import DeadLettered
from shared.messages.order_commands import CancelOrder
from shared.settings import Settings
from shared.topics import DEADLETTER, ORDERS_COMMANDS

pytestmark = pytest.mark.integration


async def test_unparsable_messages_are_dead_lettered_and_good_ones_still_handled(kafka_server) -> None:
    settings = Settings(kafka_host=kafka_server.host, kafka_port=kafka_server.port)
    await create_topics(settings)
    producer = make_producer(settings, client_id="test", service="order_entry")
    await producer.start()
    tag = uuid.uuid4().hex  # the broker is shared by the session: only this test's messages count
    handled: list[Delivery] = []
    stop = asyncio.Event()

    async def handle(batch: list[Delivery]) -> None:
        handled.extend(d for d in batch if d.envelope.correlation_id == tag)
        if len(handled) == 2:
            stop.set()

    consumer = make_consumer(settings, ORDERS_COMMANDS.name, group_id="dlq-test", client_id="dlq-test")
    letters = make_consumer(settings, DEADLETTER.name, group_id="dlq-reader", client_id="dlq-reader")
    await consumer.start()
    await letters.start()
    try:
        await publish(producer, ORDERS_COMMANDS.name, "X", CancelOrder(order_id="o-1", instrument="X"),
                      event_id="e1", occurred_at=1, correlation_id=tag)
        await producer.send_and_wait(ORDERS_COMMANDS.name, b"{not json " + tag.encode(), key=b"X")
        await producer.send_and_wait(ORDERS_COMMANDS.name, orjson.dumps({"event_id": "e2", "type": "CancelOrder",
                                     "occurred_at": 1, "correlation_id": tag, "payload": {"order_id": ""}}), key=b"X")
        await publish(producer, ORDERS_COMMANDS.name, "X", CancelOrder(order_id="o-2", instrument="X"),
                      event_id="e3", occurred_at=1, correlation_id=tag, wait=True)
        await asyncio.wait_for(consume(consumer, producer, handle, stop), timeout=30)
        await producer.flush()

        dead: list[DeadLettered] = []
        while len(dead) < 2:
            batch = await asyncio.wait_for(letters.getmany(timeout_ms=200), timeout=30)
            letters_seen = [payload_of(decode(r.value)) for records in batch.values() for r in records]
            dead += [d for d in letters_seen if tag in d.raw]
    finally:
        await consumer.stop()
        await letters.stop()
        await producer.stop()

    assert [d.message.order_id for d in handled] == ["o-1", "o-2"]
    assert [d.source_topic for d in dead] == [ORDERS_COMMANDS.name] * 2
    assert "not JSON" in dead[0].reason and dead[0].raw == "{not json " + tag
    assert "invalid message" in dead[1].reason
