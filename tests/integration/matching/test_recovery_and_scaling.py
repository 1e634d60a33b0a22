"""The matching service against the pure core: killed mid-stream and restarted, and split over two instances,
its Redis books and its distinct events on `orders.events` equal an uninterrupted run of the core."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import orjson
import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner

from carbonlink.stack import Stack
from services.matching import core, partition_state
from services.matching.core import MatchingEngine
from services.matching.core.vocabulary import BUY, SELL
from carbonlink.bench.wire_stream import WireCommand, order_commands, reference_run, setup_commands
from shared import market_keys as keys
from shared.kafka import make_producer
from shared.settings import Settings
from shared.topics import ORDERS_COMMANDS, ORDERS_EVENTS
from tests.stacks import private_stack

pytestmark = pytest.mark.integration


async def publish(settings: Settings, instrument: str, commands: list[WireCommand], *, chunk: int = 100,
                  pause: float = 0.0, first: int = 0) -> None:
    producer = make_producer(settings, client_id="test-publisher", service="order_entry")
    await producer.start()
    try:
        for start in range(0, len(commands), chunk):
            sends = [await producer.send(ORDERS_COMMANDS.name, command.encoded(instrument, first + start + n),
                                         key=instrument.encode())
                     for n, command in enumerate(commands[start:start + chunk])]
            await asyncio.gather(*sends)
            await asyncio.sleep(pause)
    finally:
        await producer.stop()


async def mirrored_seq(client: aioredis.Redis, instrument: str) -> int:
    return int(await client.get(keys.mirrored_seq(instrument)) or 0)


async def wait_mirrored(client: aioredis.Redis, instrument: str, at_least: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while await mirrored_seq(client, instrument) < at_least:
        assert time.monotonic() < deadline, f"{instrument} mirrored only up to {await mirrored_seq(client, instrument)}"
        await asyncio.sleep(0.05)


async def distinct_events(settings: Settings, instrument: str, count: int, timeout: float = 30.0) -> list[dict]:
    """The instrument's envelopes on `orders.events`, first copy of each event id, until `count` are seen."""
    consumer = AIOKafkaConsumer(ORDERS_EVENTS.name, bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=settings.fetch_max_wait_ms)
    await consumer.start()
    seen: dict[str, dict] = {}
    try:
        deadline = time.monotonic() + timeout
        while len(seen) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    if record.key == instrument.encode():
                        envelope = orjson.loads(record.value)
                        seen.setdefault(envelope["event_id"], envelope)
    finally:
        await consumer.stop()
    return list(seen.values())


def expected_events(events: list[list[core.Event]]) -> list[tuple[str, str]]:
    return [(e.event_id, type(e).__name__) for batch in events for e in batch if not isinstance(e, core.BookDelta)]


def expected_trades(events: list[list[core.Event]]) -> list[tuple]:
    return [(e.trade_id, e.buy_order_id, e.sell_order_id, e.price, e.quantity)
            for batch in events for e in batch if isinstance(e, core.TradeExecuted)]


def trades_of(envelopes: list[dict]) -> list[tuple]:
    return [(p["trade_id"], p["buy_order_id"], p["sell_order_id"], p["price"], p["quantity"])
            for p in (e["payload"] for e in envelopes if e["type"] == "TradeExecuted")]


async def mirrored_book(client: aioredis.Redis, instrument: str) -> dict:
    return {
        "levels": {side: await client.hgetall(keys.levels(instrument, side)) for side in (BUY, SELL)},
        "resting": {order_id: orjson.loads(raw)
                    for order_id, raw in (await client.hgetall(keys.resting_orders(instrument))).items()},
    }


def book_of(engine: MatchingEngine) -> dict:
    return {
        "levels": {side: {str(level.price).encode(): f"{level.quantity}:{level.count}".encode()
                          for level in engine.book.side(side).levels_best_first()} for side in (BUY, SELL)},
        "resting": {order.order_id.encode(): {"side": order.side, "price": order.price, "quantity": order.remaining,
                                              "account": order.account} for order in engine.orders.values()},
    }


async def assert_matches_the_core(settings: Settings, client: aioredis.Redis, instrument: str,
                                  stream: list[WireCommand]) -> None:
    engine, events = reference_run(stream)
    await wait_mirrored(client, instrument, engine.seq)
    assert await mirrored_book(client, instrument) == book_of(engine)
    wanted = expected_events(events)
    seen = await distinct_events(settings, instrument, len(wanted))
    assert [(e["event_id"], e["type"]) for e in seen] == wanted
    assert trades_of(seen) == expected_trades(events)


def instrument_on_partition(partition: int, partitions: int) -> str:
    partitioner = DefaultPartitioner()
    every = list(range(partitions))
    return next(name for name in (f"CN-BJ.P{n}" for n in range(1000))
                if partitioner(name.encode(), every, every) == partition)


def test_a_matching_process_killed_mid_stream_rebuilds_the_same_books_and_trades(tmp_path: Path) -> None:
    with private_stack(tmp_path / "var", matching_snapshot_every=300) as stack:
        asyncio.run(kill_and_restart_mid_stream(stack))


async def kill_and_restart_mid_stream(stack: Stack) -> None:
    settings = stack.settings
    instrument = "CN-BJ.KILL"
    setup = setup_commands(instrument)
    stream = setup + order_commands(instrument, 3000, seed=11)
    final_seq = reference_run(stream)[0].seq
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        # matching must be consuming before the paced stream starts, or it would find the whole stream waiting
        await publish(settings, instrument, setup)
        await wait_mirrored(client, instrument, reference_run(setup)[0].seq)
        publishing = asyncio.create_task(publish(settings, instrument, stream[len(setup):], chunk=50, pause=0.05,
                                                 first=len(setup)))
        await wait_mirrored(client, instrument, final_seq // 3)
        os.kill(stack.running_pid("matching-0"), signal.SIGKILL)
        await publishing
        assert await mirrored_seq(client, instrument) < final_seq
        await asyncio.to_thread(stack.up, say=lambda _: None, timeout=60)
        await assert_matches_the_core(settings, client, instrument, stream)
    finally:
        await client.aclose()


def test_two_instances_split_the_partitions_and_each_instrument_trades_as_the_core_does(tmp_path: Path) -> None:
    with private_stack(tmp_path / "var", matching_instances=2) as stack:
        owners = asyncio.run(trade_two_instruments(stack))
    assert set(owners) == {"matching-0", "matching-1"}


async def trade_two_instruments(stack: Stack) -> list[str]:
    """Two instruments on the first and last partition; returns the owner of each partition afterwards."""
    settings = stack.settings
    partitions = settings.default_partitions
    names = [instrument_on_partition(p, partitions) for p in (0, partitions - 1)]
    streams = {name: setup_commands(name) + order_commands(name, 1500, seed=n) for n, name in enumerate(names)}
    owner_keys = [partition_state.owner_key(ORDERS_COMMANDS.name, p) for p in range(partitions)]
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        deadline = time.monotonic() + 30
        while None in await client.mget(owner_keys):
            assert time.monotonic() < deadline, "partitions not all assigned"
            await asyncio.sleep(0.1)
        await asyncio.gather(*(publish(settings, name, stream) for name, stream in streams.items()))
        for name, stream in streams.items():
            await assert_matches_the_core(settings, client, name, stream)
        return [raw.decode() for raw in await client.mget(owner_keys)]
    finally:
        await client.aclose()
