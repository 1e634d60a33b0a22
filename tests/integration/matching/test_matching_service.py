"""The matching service end to end: commands on Kafka in, events on Kafka out, books mirrored into Redis."""

from __future__ import annotations

import time
import uuid

import pytest
import redis

from shared import market_keys as keys
from shared.envelope import decode
from shared.kafka import make_consumer, make_producer, publish
from shared.messages import payload_of
from shared.messages.order_commands import ChangePhase, ConfigureInstrument, SubmitOrder
from shared.messages.order_events import TradeExecuted
from shared.topics import ORDERS_COMMANDS, ORDERS_EVENTS
from tests.polling import wait_until

pytestmark = pytest.mark.integration


def _order(instrument: str, order_id: str, side: str, price: int, quantity: int, account: str) -> SubmitOrder:
    return SubmitOrder(order_id=order_id, client_order_id=order_id, instrument=instrument, account=account,
                       side=side, order_type="LIMIT", time_in_force="GTC", price=price, quantity=quantity)


async def test_crossing_orders_trade_and_the_book_is_mirrored(running_stack) -> None:
    settings = running_stack.settings
    instrument = f"CN-BJ.T-{uuid.uuid4().hex[:6]}"
    producer = make_producer(settings, client_id="test", service="order_entry")
    await producer.start()
    events = make_consumer(settings, ORDERS_EVENTS.name, group_id=None, client_id="test-reader")
    await events.start()
    try:
        commands = [
            ConfigureInstrument(instrument=instrument, registry="CN-BJ", currency="CNY",
                                unit_asset="U:CN-BJ:ALLOWANCE:2025", tick=1, lot=1, min_quantity=1,
                                band="1/10", reference_price=5000),
            ChangePhase(instrument=instrument, phase="CONTINUOUS"),
            _order(instrument, f"{instrument}-s1", "SELL", 5010, 100, "CN-BJ/seller"),
            _order(instrument, f"{instrument}-s2", "SELL", 5020, 100, "CN-BJ/seller"),
            _order(instrument, f"{instrument}-b1", "BUY", 5015, 150, "CN-BJ/buyer"),
        ]
        for n, command in enumerate(commands):
            await publish(producer, ORDERS_COMMANDS.name, instrument, command, event_id=f"{instrument}:c{n}",
                          occurred_at=1_700_000_000_000 + n, wait=True)
        trades: list[TradeExecuted] = []
        deadline = time.monotonic() + 20
        while not trades and time.monotonic() < deadline:
            batch = await events.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    message = payload_of(decode(record.value))
                    if isinstance(message, TradeExecuted) and message.instrument == instrument:
                        trades.append(message)
    finally:
        await events.stop()
        await producer.stop()

    assert [(t.trade_id, t.price, t.quantity, t.buy_leaves_quantity) for t in trades] == [
        (f"{instrument}:T1", 5010, 100, 50)]
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port, decode_responses=True)
    wait_until(lambda: client.hgetall(keys.levels(instrument, "BUY")) == {"5015": "50:1"})
    assert client.hgetall(keys.levels(instrument, "SELL")) == {"5020": "100:1"}
    assert client.hget(keys.order_state(f"{instrument}-s1"), "status") == "FILLED"
    assert client.hget(keys.order_state(f"{instrument}-b1"), "leaves") == "50"
    assert client.get(keys.phase(instrument)) == "CONTINUOUS"
    assert client.get(keys.reference_price(instrument)) == "5000"


async def test_a_command_the_service_cannot_apply_is_dead_lettered_and_later_commands_still_trade(running_stack) -> None:
    settings = running_stack.settings
    instrument = f"CN-BJ.D-{uuid.uuid4().hex[:6]}"
    broken = ConfigureInstrument(instrument=instrument, registry="CN-BJ", currency="CNY",
                                 unit_asset="U:CN-BJ:ALLOWANCE:2025", tick=1, lot=1, min_quantity=1, band="not-a-fraction")
    producer = make_producer(settings, client_id="test", service="order_entry")
    await producer.start()
    try:
        commands = [
            broken,
            broken.model_copy(update={"band": None}),
            ChangePhase(instrument=instrument, phase="CONTINUOUS"),
            _order(instrument, f"{instrument}-s1", "SELL", 5010, 100, "CN-BJ/seller"),
            _order(instrument, f"{instrument}-b1", "BUY", 5010, 40, "CN-BJ/buyer"),
        ]
        for n, command in enumerate(commands):
            await publish(producer, ORDERS_COMMANDS.name, instrument, command, event_id=f"{instrument}:c{n}",
                          occurred_at=1_700_000_000_000 + n, wait=True)
    finally:
        await producer.stop()
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port, decode_responses=True)
    wait_until(lambda: client.hgetall(keys.levels(instrument, "SELL")) == {"5010": "60:1"})
    assert client.hget(keys.order_state(f"{instrument}-b1"), "status") == "FILLED"


def test_the_service_benchmark_answers_every_command_it_sends(running_stack) -> None:
    from carbonlink.bench.matching_service import run_service_benchmark

    result = run_service_benchmark(running_stack.settings, n_orders=300, rate=2000)
    assert result["orders"] == 300 and result["unanswered"] == 0
    assert result["orders_per_second"] > 0 and result["p50_ms"] <= result["p99_ms"]
