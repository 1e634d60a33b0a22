"""Accepted means durable: an order's record, client order id, reservation and command are written in one atomic
step, and the outbox relay publishes the command until matching has applied it, also after the topic was lost, and
keeps it until a snapshot of matching covers it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaTimeoutError

from services.order_entry.app import create_app
from services.order_entry.outbox_relay import OutboxRelay
from shared import order_outbox, topic_incarnation
from shared.envelope import decode
from shared.topics import ORDERS_COMMANDS, partitions_for
from tests.integration.order_entry.conftest import Exchange, open_exchange, order_body

pytestmark = pytest.mark.integration


async def until(predicate, *, attempts: int = 200, pause: float = 0.05):
    for _ in range(attempts):
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(pause)
    raise AssertionError("condition not met")


@pytest.fixture
async def commands(oe_context) -> AsyncIterator[AIOKafkaConsumer]:
    """A reader of `orders.commands` from its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=oe_context.settings.kafka_bootstrap, group_id=None,
                                enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    partitions = [TopicPartition(ORDERS_COMMANDS.name, p) for p in consumer.partitions_for_topic(ORDERS_COMMANDS.name)]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    yield consumer
    await consumer.stop()


async def read_commands(consumer: AIOKafkaConsumer, order_id: str) -> list[tuple[bytes, str]]:
    """(key, type) of the commands for `order_id` published since the last read."""
    found = []
    for records in (await consumer.getmany(timeout_ms=100)).values():
        for record in records:
            envelope = decode(record.value)
            if envelope.correlation_id == order_id:
                found.append((record.key, envelope.type))
    return found


@pytest.fixture
async def eager_exchange(oe_context, redis_client) -> AsyncIterator[tuple[Exchange, OutboxRelay]]:
    """The exchange on an app whose relay publishes unacknowledged commands again after 0.3 s."""
    app = create_app(oe_context, stream_events=False)
    app.state.relay = OutboxRelay(oe_context, resend_after_s=0.3)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://order-entry") as client:
        yield await open_exchange(client, oe_context), app.state.relay


async def outbox(redis) -> list[dict[bytes, bytes]]:
    return [fields for _, fields in await redis.xrange(order_outbox.STREAM)]


async def snapshot_covers_everything(oe_context) -> None:
    """What matching writes with a snapshot, for a snapshot past every command published so far."""
    redis = oe_context.redis
    incarnation = await topic_incarnation.current(redis, ORDERS_COMMANDS.name)
    for partition in range(partitions_for(ORDERS_COMMANDS, oe_context.settings.default_partitions)):
        await redis.set(order_outbox.covered_key(ORDERS_COMMANDS.name, partition),
                        order_outbox.covered_value(incarnation, 10**9))


async def test_an_accepted_order_is_its_record_claim_reservation_and_command_written_together(
        exchange: Exchange, oe_context) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    response = await exchange.client.post("/v1/orders", json=order_body(), headers=trader)
    assert response.status_code == 201, response.text
    order_id = response.json()["order_id"]
    redis = oe_context.redis
    assert await redis.hget(f"ord:{order_id}", "status") == b"PENDING_NEW"
    assert await redis.get("coid:CN-BJ/alpha:c-1") == order_id.encode()
    assert await redis.hget(f"{{L}}:resv:{order_id}", "remaining") == b"501000"
    entries = await outbox(redis)
    assert [(e[b"k"], e[b"c"], e[b"o"]) for e in entries] == [(b"BJEA-2025", b"SUBMIT", order_id.encode())]
    assert decode(entries[0][b"v"]).payload["order_id"] == order_id


async def test_a_refused_order_leaves_no_record_claim_reservation_or_command(exchange: Exchange, oe_context) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="100")
    refused = await exchange.client.post("/v1/orders", json=order_body(), headers=trader)
    assert refused.status_code == 409 and refused.json()["code"] == "INSUFFICIENT_FUNDS"
    redis = oe_context.redis
    assert await redis.get("coid:CN-BJ/alpha:c-1") is None
    assert await redis.zcard("ord:idx:CN-BJ/alpha") == 0
    assert await outbox(redis) == []


async def test_a_cancel_of_a_pending_new_order_follows_its_submit_on_the_same_key(
        exchange: Exchange, oe_context, commands: AIOKafkaConsumer) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    order_id = (await exchange.client.post("/v1/orders", json=order_body(), headers=trader)).json()["order_id"]
    cancel = await exchange.client.delete(f"/v1/orders/{order_id}", headers=trader)
    assert cancel.status_code == 202
    seen: list[tuple[bytes, str]] = []

    async def both_published() -> bool:
        seen.extend(await read_commands(commands, order_id))
        return len(seen) >= 2

    await until(both_published)
    assert seen[:2] == [(b"BJEA-2025", "SubmitOrder"), (b"BJEA-2025", "CancelOrder")]


async def test_a_command_the_broker_did_not_take_is_published_again_before_the_commands_read_after_it(
        exchange: Exchange, oe_context, commands: AIOKafkaConsumer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The relay reads the next batch while the broker acknowledges the one in flight, but sends it only after."""
    producer = oe_context.producer
    send, refused = producer.send, []

    async def refuse_the_first_command(topic, value=None, key=None, partition=None, timestamp_ms=None, headers=None):
        if topic == ORDERS_COMMANDS.name and not refused:
            refused.append(value)
            failed = asyncio.get_running_loop().create_future()
            failed.set_exception(KafkaTimeoutError())
            return failed
        return await send(topic, value, key, partition, timestamp_ms, headers)

    monkeypatch.setattr(producer, "send", refuse_the_first_command)
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    order_id = (await exchange.client.post("/v1/orders", json=order_body(), headers=trader)).json()["order_id"]
    assert (await exchange.client.delete(f"/v1/orders/{order_id}", headers=trader)).status_code == 202
    seen: list[tuple[bytes, str]] = []

    async def both_published() -> bool:
        seen.extend(await read_commands(commands, order_id))
        return len(seen) >= 2

    await until(both_published)
    assert refused and [kind for _, kind in seen[:2]] == ["SubmitOrder", "CancelOrder"]


async def test_a_command_matching_has_not_applied_is_published_again_until_the_order_leaves_pending_new(
        eager_exchange: tuple[Exchange, OutboxRelay], oe_context, commands: AIOKafkaConsumer) -> None:
    exchange, _ = eager_exchange
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    order_id = (await exchange.client.post("/v1/orders", json=order_body(), headers=trader)).json()["order_id"]
    seen: list[tuple[bytes, str]] = []

    async def published_twice() -> bool:
        seen.extend(await read_commands(commands, order_id))
        return len(seen) >= 2

    await until(published_twice)
    assert set(seen) == {(b"BJEA-2025", "SubmitOrder")}
    await oe_context.redis.hset(f"ord:{order_id}", "status", "NEW")  # what matching's mirror writes once applied
    await snapshot_covers_everything(oe_context)

    async def outbox_empty() -> bool:
        return not await outbox(oe_context.redis)

    await until(outbox_empty)


async def test_an_acknowledged_command_stays_in_the_outbox_until_a_snapshot_of_matching_covers_it(
        eager_exchange: tuple[Exchange, OutboxRelay], oe_context) -> None:
    exchange, relay = eager_exchange
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    order_id = (await exchange.client.post("/v1/orders", json=order_body(), headers=trader)).json()["order_id"]
    await until(lambda: _in(relay, order_id))
    held = next(p for p in relay.pending.held() if p.order_id == order_id)
    relay.on_event("OrderAccepted", {"order_id": order_id, "instrument": "BJEA-2025", "account": "CN-BJ/alpha"})
    assert order_id not in {p.order_id for p in relay.pending.overdue(now=float("inf"), after=0)}
    covered_key = order_outbox.covered_key(ORDERS_COMMANDS.name, held.partition)
    await oe_context.redis.set(covered_key, order_outbox.covered_value(held.incarnation, held.offset))
    await asyncio.sleep(2.5)  # two sweeps of the relay: a snapshot that ends at the command does not cover it
    assert len(await outbox(oe_context.redis)) == 1
    await oe_context.redis.set(covered_key, order_outbox.covered_value(held.incarnation, held.offset + 1))

    async def outbox_empty() -> bool:
        return not await outbox(oe_context.redis)

    await until(outbox_empty)


async def _in(relay: OutboxRelay, order_id: str) -> bool:
    return any(p.order_id == order_id and p.partition is not None for p in relay.pending.held())


async def test_after_the_topic_was_recreated_every_unacknowledged_command_is_published_again_in_order(
        exchange: Exchange, oe_context, commands: AIOKafkaConsumer) -> None:
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    order_id = (await exchange.client.post("/v1/orders", json=order_body(), headers=trader)).json()["order_id"]
    await exchange.client.patch(f"/v1/orders/{order_id}", json={"quantity": 50}, headers=trader)
    await exchange.client.delete(f"/v1/orders/{order_id}", headers=trader)
    seen: list[tuple[bytes, str]] = []

    async def published(count: int):
        async def check() -> bool:
            seen.extend(await read_commands(commands, order_id))
            return len(seen) >= count
        return check

    await until(await published(3))
    await oe_context.redis.set(topic_incarnation.incarnation_key(ORDERS_COMMANDS.name), "a-new-life")
    await until(await published(6))
    assert [kind for _, kind in seen] == ["SubmitOrder", "AmendOrder", "CancelOrder"] * 2


async def test_after_the_topic_was_recreated_acknowledged_commands_not_yet_covered_are_published_again(
        eager_exchange: tuple[Exchange, OutboxRelay], oe_context, commands: AIOKafkaConsumer) -> None:
    """Matching may restart from a snapshot taken before it applied them (the broker and matching both restarted)."""
    exchange, relay = eager_exchange
    trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="10000")
    order_id = (await exchange.client.post("/v1/orders", json=order_body(), headers=trader)).json()["order_id"]
    await until(lambda: _in(relay, order_id))
    relay.on_event("OrderAccepted", {"order_id": order_id, "instrument": "BJEA-2025", "account": "CN-BJ/alpha"})
    seen: list[tuple[bytes, str]] = []

    async def published(count: int) -> bool:
        seen.extend(await read_commands(commands, order_id))
        return len(seen) >= count

    await until(lambda: published(1))
    await oe_context.redis.set(topic_incarnation.incarnation_key(ORDERS_COMMANDS.name), "a-new-life")
    await until(lambda: published(2))
    assert seen == [(b"BJEA-2025", "SubmitOrder")] * 2
    assert next(p for p in relay.pending.held() if p.order_id == order_id).incarnation == "a-new-life"
