"""Wake-up pokes on the real Redis and broker: a service's producer pokes a topic's channel once the broker has the
message, and a listener hands the poke to the consumer's pacer."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from shared import wakeup
from shared.kafka import create_topics, make_producer
from shared.settings import Settings
from shared.topics import ORDERS_COMMANDS
from tests.polling import eventually

pytestmark = pytest.mark.integration


async def test_a_send_pokes_the_topic_and_the_listener_hears_it(redis_url, kafka_bootstrap) -> None:
    host, _, port = kafka_bootstrap.rpartition(":")
    settings = Settings(kafka_host=host, kafka_port=int(port))
    await create_topics(settings)
    client = aioredis.Redis.from_url(redis_url)
    producer = make_producer(settings, client_id="wake-test", service="order_entry")
    producer.pokes = client
    heard: list[str] = []
    subscribed: list[bool] = []
    stop = asyncio.Event()
    listening = asyncio.create_task(wakeup.listen(client, [ORDERS_COMMANDS.name], lambda: heard.append("poke"),
                                                  subscribed.append, stop))
    await producer.start()
    try:
        await eventually(lambda: subscribed and subscribed[-1], what="the listener subscribed")
        await asyncio.sleep(wakeup.EVERY_S)  # an earlier test of this process may have poked the topic just now
        await producer.send_and_wait(ORDERS_COMMANDS.name, b"{}", key=b"x")
        await eventually(lambda: heard, what="the poke")
    finally:
        stop.set()
        await listening
        await producer.stop()
        await client.aclose()
    assert subscribed[-1] is False  # stopped: pokes may be missed again
