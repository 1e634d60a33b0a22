"""The asyncio ledger runs the same script, encoding and plans as the sync one: same results, same books."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio

from carbonlink.audit.ledger import audit_ledger
from shared.fees import buy_reservation
from shared.ledger import AccountType, AsyncLedger, Code, entries
from tests.integration.ledger.books import BJ_UNIT, BUYER, CNY, FEES, SELLER, trade

pytestmark = pytest.mark.integration


@pytest.fixture
async def books(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[AsyncLedger]:
    client = redis.asyncio.Redis.from_url(redis_url)
    ledger = AsyncLedger(client)
    await ledger.open_registry("CN-BJ", currency="CNY")
    for account in (BUYER, SELLER):
        await ledger.open_account(account, account_type=AccountType.HOLDING, holder=account)
    await ledger.deposit(entry_id="cash", account=BUYER, currency="CNY", amount=1_000_000, time=1)
    await ledger.issue(entry_id="units", registry="CN-BJ", unit_class=BJ_UNIT, qty=100, to_account=SELLER, time=1)
    yield ledger
    await client.aclose()


async def test_an_async_trade_settles_from_reservations_and_the_books_balance(
    books: AsyncLedger, redis_client: redis.Redis
) -> None:
    amount = buy_reservation(FEES, limit_price=5_000, quantity=100)
    await books.reserve_for_order(order_id="b1", account=BUYER, asset=CNY, amount=amount, limit_price=5_000,
                                  quantity=100, time=2)
    await books.reserve_for_order(order_id="s1", account=SELLER, asset=BJ_UNIT, amount=100, time=2)
    result = await books.settle_domestic_trade(
        trade=trade(qty=100, buy_leaves=0, sell_leaves=0), price=4_800, buyer_is_maker=True, fees=FEES,
        registry="CN-BJ", time=3)
    assert result.ok
    assert (await books.balances(BUYER))[BJ_UNIT] == (100, 0)
    assert (await books.balances(BUYER))[CNY][1] == 0
    assert [r.kind for r in await books.journal("CN-BJ")][-1] == "SETTLE"
    assert audit_ledger(redis_client).ok


async def test_an_async_refusal_carries_the_same_code(books: AsyncLedger) -> None:
    result = await books.withdraw(entry_id="w", account=SELLER, currency="CNY", amount=1, time=1)
    assert result.code == Code.INSUFFICIENT_AVAILABLE


async def test_async_entries_post_in_one_pipeline(books: AsyncLedger) -> None:
    batch = [entries.transfer(entry_id=f"t{i}", from_account=SELLER, to_account=BUYER, asset=BJ_UNIT, qty=1, time=i)
             for i in range(10)]
    results = await books.post_many(batch)
    assert all(r.ok for r in results)
    assert (await books.balances(SELLER))[BJ_UNIT] == (90, 0)
