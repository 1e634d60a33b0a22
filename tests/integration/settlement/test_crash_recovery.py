"""Kill -9 the settlement process while trades flow, start it again: every trade settles exactly once."""

from __future__ import annotations

import os
import signal
import sys
import uuid

import orjson
import pytest
import redis.asyncio as aioredis

from carbonlink.servers import spawn, stop_pid
from carbonlink.audit.trades import run_audit
from services.settlement.trade_state import trade_key
from shared import market_keys
from shared.kafka import create_topics, make_producer, publish
from shared.ledger import Ledger
from shared.reference_store import ReferenceStore
from shared.settings import Settings
from shared.topics import ORDERS_EVENTS
from tests.integration.settlement.books import CASH, CNY, UNIT, Books, open_registries
from tests.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ORDERS = 10  # 10 buy and 10 sell orders of 100 tonnes, each filled one tonne at a time: 1,000 trades
FILLS = 100


def start_settlement(settings: Settings, log_dir) -> int:
    env = {**os.environ, "CARBONLINK_KAFKA_HOST": settings.kafka_host, "CARBONLINK_KAFKA_PORT": str(settings.kafka_port),
           "CARBONLINK_REDIS_HOST": settings.redis_host, "CARBONLINK_REDIS_PORT": str(settings.redis_port),
           "CARBONLINK_INSTANCE": f"settlement-crash-{uuid.uuid4().hex[:6]}"}
    return spawn([sys.executable, "-m", "services.settlement"], log_path=log_dir / "settlement.log", env=env)


def settled_count(client, trade_ids: list[str]) -> int:
    pipe = client.pipeline(transaction=False)
    for trade_id in trade_ids:
        pipe.hget(trade_key(trade_id), "status")
    return sum(1 for status in pipe.execute() if status == b"SETTLED")


async def test_a_killed_settlement_restarts_and_settles_every_trade_exactly_once(redis_client, redis_server,
                                                                                kafka_server, tmp_path) -> None:
    settings = Settings(kafka_host=kafka_server.host, kafka_port=kafka_server.port, redis_host=redis_server.host,
                        redis_port=redis_server.port)
    await create_topics(settings)
    ledger = Ledger(redis_client)
    open_registries(ledger)
    books = Books(ledger)
    for k in range(ORDERS):
        books.reserve_buy(f"b{k}", qty=FILLS)
        books.reserve_sell(f"s{k}", qty=FILLS)
    trades = [books.trade(seq=k * FILLS + f + 1, price=4_900, quantity=1, buy_order_id=books.order_id(f"b{k}"),
                          taker_order_id=books.order_id(f"b{k}"), sell_order_id=books.order_id(f"s{k}"),
                          maker_order_id=books.order_id(f"s{k}"),
                          buy_leaves_quantity=FILLS - f - 1, sell_leaves_quantity=FILLS - f - 1)
              for k in range(ORDERS) for f in range(FILLS)]
    trade_ids = [t.trade_id for t in trades]
    client = aioredis.Redis.from_url(settings.redis_url)
    await ReferenceStore(client).put_instrument(books.instrument)
    await client.aclose()
    producer = make_producer(settings, client_id="crash-test", service="matching")
    await producer.start()
    pid = start_settlement(settings, tmp_path)
    try:
        half = len(trades) // 2
        for trade in trades[:half]:
            await publish(producer, ORDERS_EVENTS.name, trade.instrument, trade, event_id=f"{trade.instrument}:{trade.trade_seq}",
                          occurred_at=1_700_000_000_000)
        await producer.flush()
        wait_until(lambda: settled_count(redis_client, trade_ids) >= 100, timeout=60)
        os.kill(pid, signal.SIGKILL)
        stop_pid(pid)
        before_restart = settled_count(redis_client, trade_ids)
        for trade in trades[half:]:
            await publish(producer, ORDERS_EVENTS.name, trade.instrument, trade, event_id=f"{trade.instrument}:{trade.trade_seq}",
                          occurred_at=1_700_000_000_000)
        await producer.flush()

        pid = start_settlement(settings, tmp_path)
        wait_until(lambda: settled_count(redis_client, trade_ids) == len(trades), timeout=90)
    finally:
        stop_pid(pid)
        await producer.stop()

    assert before_restart < len(trades)
    report = run_audit(redis_client, pending_timeout_s=60)
    assert report.ok, [c.to_dict() for c in report.checks if not c.ok]
    pipe = redis_client.pipeline(transaction=False)
    for trade_id in trade_ids:
        pipe.hget(trade_key(trade_id), "settled_count")
    assert set(pipe.execute()) == {b"1"}
    settlements = [orjson.loads(r)["trade_id"] for r in redis_client.lrange(market_keys.account_settlements(books.buyer), 0, -1)]
    assert sorted(settlements) == sorted(trade_ids)
    assert ledger.balances(books.buyer)[UNIT.asset] == (len(trades), 0)
    assert ledger.balances(books.buyer)[CNY][1] == 0 and ledger.balances(books.buyer)[CNY][0] < CASH
