"""Settlement applies matching's events in the order matching produced them, even when the broker delivers a
later one first: after a broker restart a produce of one batch can fail while the next batch's succeeds. Each
event names the one it follows (`Envelope.follows`); settlement holds back an event whose predecessor it has not
applied and takes both, in order, from matching's outbox in Redis once matching has written them there."""

from __future__ import annotations

import orjson
import pytest
import redis.asyncio as aioredis
from aiokafka.partitioner import DefaultPartitioner

from services.settlement.trade_state import SETTLED, trade_key
from shared import event_outbox, market_keys
from shared.envelope import encode
from shared.messages import envelope_for
from shared.topics import ORDERS_EVENTS
from tests.integration.settlement.books import UNIT

pytestmark = pytest.mark.integration


def status(harness, trade_id: str) -> bytes | None:
    return harness.redis.hget(trade_key(trade_id), "status")


async def test_a_trade_that_arrives_before_the_trade_it_follows_settles_after_it_from_matchings_outbox(
        settlement) -> None:
    books = settlement.books()
    await settlement.list_instrument(books.instrument)
    books.reserve_buy("b1")
    books.reserve_sell("s1")
    instrument = books.instrument.id
    first = books.trade(seq=1, quantity=40, buy_leaves_quantity=60, sell_leaves_quantity=60)
    second = books.trade(seq=2, quantity=10, buy_leaves_quantity=50, sell_leaves_quantity=50)
    first_id, second_id = f"{instrument}:21", f"{instrument}:23"  # 22 was a book delta, on another topic

    # The first trade's produce failed; the second's succeeded: the broker delivers only the second.
    await settlement.publish(second, event_id=second_id, follows=first_id)
    # Matching rebuilt from its snapshot, sent both again and kept them, in order, in its outbox.
    partitions = sorted(await settlement.producer.partitions_for(ORDERS_EVENTS.name))
    partition = DefaultPartitioner()(instrument.encode(), partitions, partitions)
    kept = [(first_id, encode(envelope_for(first, event_id=first_id, occurred_at=1_700_000_000_000))),
            (second_id, encode(envelope_for(second, event_id=second_id, occurred_at=1_700_000_000_000)
                               .model_copy(update={"follows": first_id})))]
    client = aioredis.Redis.from_url(settlement.settings.redis_url)
    try:
        await event_outbox.append(client, ORDERS_EVENTS.name, {partition: kept})
    finally:
        await client.aclose()

    await settlement.wait_for(lambda: status(settlement, second.trade_id) == SETTLED.encode())
    assert status(settlement, first.trade_id) == SETTLED.encode()
    trades = [orjson.loads(r)["trade_id"] for r in settlement.redis.lrange(market_keys.account_trades(books.buyer), 0, -1)]
    assert trades == [second.trade_id, first.trade_id]  # newest first
    assert settlement.ledger.balances(books.buyer)[UNIT.asset] == (50, 0)
    # the mark follows the trade states (a crash in between applies the events again, idempotently)
    await settlement.wait_for(
        lambda: settlement.redis.hget(event_outbox.marks_key(ORDERS_EVENTS.name), instrument) == b"23")
    # what it applied leaves matching's outbox (trimmed once applied, not on a timer)
    await settlement.wait_for(
        lambda: settlement.redis.xlen(event_outbox.stream_key(ORDERS_EVENTS.name, partition)) == 0)
