"""Order entry's outbox publishes a command again until it sees the outcome: matching decides each new order,
amend and mass cancel once."""

from __future__ import annotations

import time
import uuid

import pytest

from shared.envelope import decode
from shared.kafka import make_consumer, make_producer, publish
from shared.messages.order_commands import AmendOrder, ChangePhase, ConfigureInstrument, MassCancel, SubmitOrder
from shared.topics import ORDERS_COMMANDS, ORDERS_EVENTS

pytestmark = pytest.mark.integration


def _order(instrument: str, order_id: str, side: str, order_type: str = "LIMIT", *, quantity: int = 10,
           account: str = "CN-BJ/a", price: int = 5000) -> SubmitOrder:
    return SubmitOrder(order_id=order_id, client_order_id=order_id, instrument=instrument, account=account,
                       side=side, order_type=order_type, time_in_force="IOC" if order_type == "MARKET" else "GTC",
                       price=None if order_type == "MARKET" else price, quantity=quantity)


def _listing(instrument: str) -> list:
    return [ConfigureInstrument(instrument=instrument, registry="CN-BJ", currency="CNY",
                                unit_asset="U:CN-BJ:ALLOWANCE:2025", tick=1, lot=1, min_quantity=1,
                                reference_price=5000),
            ChangePhase(instrument=instrument, phase="CONTINUOUS")]


async def _events_until(events, instrument: str, last_order_id: str) -> list[tuple[str, dict]]:
    """(type, payload) of the instrument's events, read until the order `last_order_id` was decided."""
    seen: list[tuple[str, dict]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for records in (await events.getmany(timeout_ms=200)).values():
            for record in records:
                envelope = decode(record.value)
                if envelope.payload.get("instrument") == instrument:
                    seen.append((envelope.type, envelope.payload))
        if any(kind in ("OrderAccepted", "OrderRejected") and payload["order_id"] == last_order_id
               for kind, payload in seen):
            return seen
    raise AssertionError(f"order {last_order_id} never decided; saw {seen}")


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


async def test_an_amend_or_a_mass_cancel_published_again_is_applied_once(running_stack) -> None:
    settings = running_stack.settings
    instrument = f"CN-BJ.A-{uuid.uuid4().hex[:6]}"
    amend = AmendOrder(order_id=f"{instrument}-s1", instrument=instrument, quantity=8)
    mass = MassCancel(instrument=instrument, account="CN-BJ/m")
    commands: list[tuple[object, str]] = [
        *((command, f"{instrument}:c{n}") for n, command in enumerate(_listing(instrument))),
        (_order(instrument, f"{instrument}-s1", "SELL", account="CN-BJ/s"), f"submit:{instrument}-s1"),
        (amend, f"amend:{instrument}-s1:1"),
        (_order(instrument, f"{instrument}-b1", "BUY", quantity=5, account="CN-BJ/b"), f"submit:{instrument}-b1"),
        (amend, f"amend:{instrument}-s1:1"),  # sent again after a fill: would reopen s1 to 8
        (_order(instrument, f"{instrument}-m1", "SELL", account="CN-BJ/m", price=5100), f"submit:{instrument}-m1"),
        (mass, f"mass-cancel:{instrument}:1"),
        (_order(instrument, f"{instrument}-m2", "SELL", account="CN-BJ/m", price=5100), f"submit:{instrument}-m2"),
        (mass, f"mass-cancel:{instrument}:1"),  # sent again: would cancel m2, placed after it
        (_order(instrument, f"{instrument}-last", "BUY", account="CN-BJ/b"), f"submit:{instrument}-last"),
    ]
    producer = make_producer(settings, client_id="test", service="order_entry")
    await producer.start()
    events = make_consumer(settings, ORDERS_EVENTS.name, group_id=None, client_id="test-reader")
    await events.start()
    try:
        for n, (command, event_id) in enumerate(commands):
            await publish(producer, ORDERS_COMMANDS.name, instrument, command, event_id=event_id,
                          occurred_at=1_700_000_000_000 + n, wait=True)
        seen = await _events_until(events, instrument, f"{instrument}-last")
    finally:
        await events.stop()
        await producer.stop()
    assert [p["order_id"] for kind, p in seen if kind == "OrderAmended"] == [amend.order_id]
    assert [p["order_id"] for kind, p in seen if kind == "OrderCancelled"] == [f"{instrument}-m1"]
    # s1 had 3 left after b1's fill, not 8: the last buy (at 5000, below m2) takes those 3
    assert [(p["sell_order_id"], p["quantity"]) for kind, p in seen if kind == "TradeExecuted"] == [
        (amend.order_id, 5), (amend.order_id, 3)]
