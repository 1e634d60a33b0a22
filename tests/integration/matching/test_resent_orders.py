"""Order entry's outbox publishes a new order again until it sees the outcome: matching decides each order once."""

from __future__ import annotations

import time
import uuid

import pytest

from shared.envelope import decode
from shared.kafka import make_consumer, make_producer, publish
from shared.messages import ChangePhase, ConfigureInstrument, SubmitOrder
from shared.topics import ORDERS_COMMANDS, ORDERS_EVENTS

pytestmark = pytest.mark.integration


def _order(instrument: str, order_id: str, side: str, order_type: str = "LIMIT") -> SubmitOrder:
    return SubmitOrder(order_id=order_id, client_order_id=order_id, instrument=instrument, account="CN-BJ/a",
                       side=side, order_type=order_type, time_in_force="IOC" if order_type == "MARKET" else "GTC",
                       price=None if order_type == "MARKET" else 5000, quantity=10)


async def test_a_new_order_published_twice_is_accepted_or_rejected_once(running_stack) -> None:
    settings = running_stack.settings
    instrument = f"CN-BJ.R-{uuid.uuid4().hex[:6]}"
    rests, no_liquidity = f"{instrument}-rests", f"{instrument}-market"
    producer = make_producer(settings, client_id="test", service="order_entry")
    await producer.start()
    events = make_consumer(settings, ORDERS_EVENTS.name, group_id=None, client_id="test-reader")
    await events.start()
    try:
        commands = [
            ConfigureInstrument(instrument=instrument, registry="CN-BJ", currency="CNY",
                                unit_asset="U:CN-BJ:ALLOWANCE:2025", tick=1, lot=1, min_quantity=1,
                                reference_price=5000),
            ChangePhase(instrument=instrument, phase="CONTINUOUS"),
            _order(instrument, rests, "BUY"), _order(instrument, no_liquidity, "BUY", "MARKET"),
            _order(instrument, rests, "BUY"), _order(instrument, no_liquidity, "BUY", "MARKET"),
            _order(instrument, f"{instrument}-last", "SELL"),
        ]
        for n, command in enumerate(commands):
            event_id = f"submit:{command.order_id}" if isinstance(command, SubmitOrder) else f"{instrument}:c{n}"
            await publish(producer, ORDERS_COMMANDS.name, instrument, command, event_id=event_id,
                          occurred_at=1_700_000_000_000 + n, wait=True)
        outcomes: list[tuple[str, str]] = []
        deadline = time.monotonic() + 30
        while not any(order_id.endswith("-last") for _, order_id in outcomes) and time.monotonic() < deadline:
            for records in (await events.getmany(timeout_ms=200)).values():
                for record in records:
                    envelope = decode(record.value)
                    if envelope.type in ("OrderAccepted", "OrderRejected") and envelope.payload["instrument"] == instrument:
                        outcomes.append((envelope.type, envelope.payload["order_id"]))
    finally:
        await events.stop()
        await producer.stop()
    assert outcomes == [("OrderAccepted", rests), ("OrderRejected", no_liquidity),
                        ("OrderAccepted", f"{instrument}-last")]
