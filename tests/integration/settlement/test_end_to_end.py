"""Through the whole embedded stack: orders matched by the matching service are settled by the settlement service."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
import redis.asyncio as aioredis

from services.settlement.trade_state import trade_key
from shared.kafka import make_producer, publish
from shared.ledger import Ledger
from shared.messages.order_commands import ChangePhase, ConfigureInstrument, SubmitOrder
from shared.reference_store import ReferenceStore
from shared.topics import ORDERS_COMMANDS
from tests.integration.settlement.books import CASH, CNY, FEES, UNIT, Books, open_registries

pytestmark = pytest.mark.integration


async def test_orders_matched_by_the_stack_settle_delivery_versus_payment(running_stack) -> None:
    settings = running_stack.settings
    client = redis.Redis.from_url(settings.redis_url)
    ledger = Ledger(client)
    open_registries(ledger)
    books = Books(ledger)
    instrument = books.instrument
    aclient = aioredis.Redis.from_url(settings.redis_url)
    await ReferenceStore(aclient).put_instrument(instrument)
    await aclient.aclose()
    books.reserve_buy("b1", limit_price=5_100, qty=100)
    books.reserve_sell("s1", qty=100)
    commands = [
        ConfigureInstrument(instrument=instrument.id, registry="CN-BJ", currency="CNY", unit_asset=UNIT.asset, tick=1,
                            lot=1, min_quantity=1, band="1/10", reference_price=5_000),
        ChangePhase(instrument=instrument.id, phase="CONTINUOUS"),
        SubmitOrder(order_id=books.order_id("s1"), client_order_id="s1", instrument=instrument.id,
                    account=books.seller, side="SELL", order_type="LIMIT", time_in_force="GTC", price=5_000,
                    quantity=100),
        SubmitOrder(order_id=books.order_id("b1"), client_order_id="b1", instrument=instrument.id,
                    account=books.buyer, side="BUY", order_type="LIMIT", time_in_force="GTC", price=5_100,
                    quantity=100),
    ]
    producer = make_producer(settings, client_id="e2e-settlement", service="order_entry")
    await producer.start()
    try:
        for n, command in enumerate(commands):
            await publish(producer, ORDERS_COMMANDS.name, instrument.id, command, event_id=f"{instrument.id}:c{n}",
                          occurred_at=1_700_000_000_000 + n, wait=True)
    finally:
        await producer.stop()

    trade_id = f"{instrument.id}:T1"
    deadline = time.monotonic() + 30
    while client.hget(trade_key(trade_id), "status") != b"SETTLED":
        assert time.monotonic() < deadline, "the trade was not settled in time"
        await asyncio.sleep(0.05)

    paid = 5_000 * 100 + FEES.fee(500_000, maker=False)
    assert ledger.balances(books.buyer) == {CNY: (CASH - paid, 0), UNIT.asset: (100, 0)}
    assert ledger.balances(books.seller)[CNY] == (500_000 - FEES.fee(500_000, maker=True), 0)
    client.close()
