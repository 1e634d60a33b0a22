"""The embedded broker forgets its topics when it restarts while Redis keeps matching's snapshots: a new
incarnation of `orders.commands` is read from its beginning, and the books carry on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import redis

from carbonlink.stack import Stack
from shared import market_keys as keys
from shared.kafka import make_producer, publish
from shared.messages.order_commands import ChangePhase, ConfigureInstrument
from shared.settings import Settings
from shared.topics import ORDERS_COMMANDS
from tests.stacks import private_settings
from tests.integration.matching.test_matching_service import _order
from tests.polling import wait_until

pytestmark = pytest.mark.integration


async def _send(settings: Settings, instrument: str, commands: list) -> None:
    producer = make_producer(settings, client_id="restart-test", service="order_entry")
    await producer.start()
    try:
        for n, command in enumerate(commands):
            await publish(producer, ORDERS_COMMANDS.name, instrument, command, event_id=f"{instrument}:c{n}",
                          occurred_at=1_700_000_000_000 + n, wait=True)
    finally:
        await producer.stop()


def _listing(instrument: str) -> list:
    return [ConfigureInstrument(instrument=instrument, registry="CN-BJ", currency="CNY",
                                unit_asset="U:CN-BJ:ALLOWANCE:2025", tick=1, lot=1, min_quantity=1),
            ChangePhase(instrument=instrument, phase="CONTINUOUS")]


def test_after_a_broker_restart_new_commands_are_matched_and_old_books_survive(tmp_path: Path) -> None:
    settings = private_settings(tmp_path / "var", matching_snapshot_interval_s=0.2)
    stack = Stack(settings)
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port, decode_responses=True)
    try:
        stack.up(say=lambda _: None, timeout=60)
        asyncio.run(_send(settings, "OLD", [*_listing("OLD"), _order("OLD", "old-s", "SELL", 5000, 10, "CN-BJ/s")]))
        wait_until(lambda: client.hgetall(keys.levels("OLD", "SELL")) == {"5000": "10:1"})
        wait_until(lambda: any(client.get(keys.matching_snapshot(ORDERS_COMMANDS.name, p)) for p in range(4)))

        stack.down(say=lambda _: None)  # the broker's memory goes; Redis keeps its append-only file
        stack.up(say=lambda _: None, timeout=60)
        asyncio.run(_send(settings, "NEW", [*_listing("NEW"), _order("NEW", "new-s", "SELL", 4000, 5, "CN-BJ/s"),
                                      _order("NEW", "new-b", "BUY", 4000, 5, "CN-BJ/b")]))
        asyncio.run(_send(settings, "OLD", [_order("OLD", "old-b", "BUY", 5000, 4, "CN-BJ/b")]))

        wait_until(lambda: client.hget(keys.order_state("new-b"), "status") == "FILLED", timeout=30)
        wait_until(lambda: client.hgetall(keys.levels("OLD", "SELL")) == {"5000": "6:1"}, timeout=30)
    finally:
        stack.down(say=lambda _: None)
        client.close()
