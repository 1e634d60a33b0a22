"""Settlement's ledger calls after Redis lost its scripts (a restart, SCRIPT FLUSH): the pipeline is loaded and run
again whole and in order, so a release queued after a fill of the same order never runs before the fill."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from services.settlement import translate
from services.settlement.effects import Effects
from services.settlement.trade_state import SETTLED, Transition, trade_key
from shared.ledger import AsyncLedger, Ledger
from shared.ledger import entries as ledger_entries
from shared.ledger.encoding import POST_LUA
from tests.integration.settlement.books import CASH, CNY, FEES, UNIT, Books, open_registries

pytestmark = pytest.mark.integration


async def test_a_fill_and_the_release_queued_after_it_keep_their_order_when_the_scripts_are_reloaded(
        redis_client, redis_url) -> None:
    ledger = Ledger(redis_client)
    open_registries(ledger)
    books = Books(ledger)
    reserved = books.reserve_buy("b1")
    books.reserve_sell("s1")
    trade = books.trade(price=5_000, quantity=40)
    fill = ledger_entries.settle_domestic_trade(
        trade=translate.trade_sides(trade, books.instrument), price=trade.price,
        buyer_is_maker=translate.buyer_is_maker(trade), fees=FEES, registry="CN-BJ", time=3)
    release = ledger_entries.release_order(order_id=books.order_id("b1"), time=3)
    redis_client.script_flush()
    redis_client.script_load(POST_LUA)  # the ledger's own script is there again, settlement's is not
    client = aioredis.Redis.from_url(redis_url)
    try:
        (filled, moved), (released, _) = await Effects(client, None, AsyncLedger(client)).settle_plans(
            [(fill, lambda entry_id: (Transition(trade.trade_id, SETTLED), None)), (release, None)])
    finally:
        await client.aclose()

    assert filled.ok and released.ok and moved is not None and moved.outcome == 1
    assert redis_client.hget(trade_key(trade.trade_id), "status") == SETTLED.encode()
    paid = 5_000 * 40 + FEES.fee(200_000, maker=False)
    assert ledger.balances(books.buyer)[UNIT.asset] == (40, 0)
    assert ledger.balances(books.buyer)[CNY] == (CASH - paid, 0) and reserved > paid
