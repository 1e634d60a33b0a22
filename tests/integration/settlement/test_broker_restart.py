"""The broker forgets every topic when it restarts; the hand-offs after order entry do not rely on it.

Trades matched while settlement was away, and a request to the bridge sent while the bridge was away, were held
only by the broker's log when it was killed: after `carbonlink stack up` each of them is settled exactly once
(from matching's outbox in Redis, and from settlement's pending trades)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest
import redis

from carbonlink.servers import pid_alive, stop_pid
from carbonlink.stack import Stack
from services.settlement.trade_state import PENDING_TRADES, SETTLED, trade_key
from tests.integration.e2e.market import LinkedMarket, eventually, operator_key
from tests.stacks import private_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # a whole stack, two broker restarts: 1–2.5 min

FILLS = 5  # domestic fills of 10 t matched while settlement is away


def quiet(_: str) -> None:
    pass


def stop(stack: Stack, component: str) -> None:
    pid = stack.running_pid(component)
    assert pid is not None, component
    stop_pid(pid)


async def restart_broker(stack: Stack) -> None:
    pid = stack.running_pid("broker")
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    await eventually(_gone(pid), what="the broker gone")
    await up(stack)


async def up(stack: Stack) -> None:
    await asyncio.to_thread(stack.up, say=quiet, timeout=120)  # it runs an event loop of its own


def _gone(pid: int):
    async def probe() -> bool:
        stop_pid(pid)  # reaps it
        return not pid_alive(pid)
    return probe


async def test_trades_and_bridge_requests_held_only_by_a_restarted_broker_settle_exactly_once(tmp_path: Path) -> None:
    stack = Stack(private_settings(tmp_path / "var"))
    client = redis.Redis.from_url(stack.settings.redis_url)
    try:
        await up(stack)
        operator = await operator_key(stack.settings.redis_url, "ops-restart")
        async with httpx.AsyncClient(base_url=stack.settings.order_entry_url, timeout=10) as http:
            market = LinkedMarket(client=http, operator=operator, redis_url=stack.settings.redis_url)
            await market.open(exchange_rate="1", levy_share="0", cancellation_share="0", delivered_type="CONVERTED",
                              corresponding_adjustment=True, caps={"per_period": 10_000})
            seller, buyer, foreign = f"{market.bj}/mill", f"{market.bj}/utility", f"{market.kr}/power"
            sells = await market.trader(seller, units=1_000)
            buys = await market.trader(buyer, cny="100000.00")
            foreign_buys = await market.trader(foreign, cny="100000.00")

            # 1. matched while settlement is away: the trades are in the broker's log (and matching's outbox)
            stop(stack, "settlement")
            rest = await market.order(sells, account=seller, side="SELL", quantity=10 * FILLS + 10)
            await market.until_status(rest["order_id"], "NEW")
            for _ in range(FILLS):
                await market.order(buys, account=buyer, side="BUY", quantity=10)
            await market.order(foreign_buys, account=foreign, side="BUY", quantity=10)
            await market.until_status(rest["order_id"], "FILLED")
            await restart_broker(stack)

            assert len(await settlements(market, buyer, FILLS)) == FILLS
            assert len(await settlements(market, foreign, 1)) == 1

            # 2. a request to the bridge sent while the bridge is away: it is in the broker's log only
            stop(stack, "bridge")
            rest = await market.order(sells, account=seller, side="SELL", quantity=10)
            await market.until_status(rest["order_id"], "NEW")
            await market.order(foreign_buys, account=foreign, side="BUY", quantity=10)
            await eventually(_pending(client), what="a trade waiting for the bridge", timeout=30)
            await restart_broker(stack)

            assert len(await settlements(market, foreign, 2)) == 2
            assert len(await market.settlements(buyer)) == FILLS

            trade_ids = [key.decode().removeprefix("trade:") for key in client.scan_iter("trade:*")]
            assert len(trade_ids) == FILLS + 2
            for trade_id in trade_ids:
                state = client.hgetall(trade_key(trade_id))
                assert (state[b"status"], state[b"settled_count"]) == (SETTLED.encode(), b"1"), trade_id
            assert (await market.balances(buyer))[market.unit] == (10 * FILLS, 0)
            assert (await market.balances(seller))[market.unit] == (1_000 - 10 * FILLS - 20, 0)
            report = market.audit(pending_timeout_s=stack.settings.settlement_pending_timeout_s)
            assert report.ok, report.to_dict()
    finally:
        stack.down(say=quiet)
        client.close()


async def settlements(market: LinkedMarket, account: str, count: int) -> list[dict]:
    """The account's settlement records once there are ``count``, all of them settled."""
    async def enough() -> list[dict] | None:
        found = await market.settlements(account)
        return found if len(found) >= count else None

    found = await eventually(enough, what=f"{count} settlement(s) of {account}", timeout=60)
    assert {record["type"] for record in found} == {"TradeSettled"}
    return found


def _pending(client: redis.Redis):
    async def probe() -> bool:
        return client.zcard(PENDING_TRADES) == 1
    return probe
