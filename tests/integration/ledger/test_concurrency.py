"""Many clients reserving against one balance at once never overdraw it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from shared.ledger import Code, Ledger
from tests.integration.ledger.books import BJ_UNIT, SELLER, fund, open_books

pytestmark = pytest.mark.integration


def test_concurrent_reservations_never_reserve_more_than_is_available(redis_url: str, redis_client: redis.Redis) -> None:
    setup = Ledger(redis_client)
    open_books(setup)
    fund(setup, units=1_000)

    def reserve(worker: int) -> list[str]:
        ledger = Ledger(redis.Redis.from_url(redis_url))
        return [
            ledger.reserve_for_order(order_id=f"w{worker}-o{i}", account=SELLER, asset=BJ_UNIT, amount=7, time=1).code
            or "ok"
            for i in range(40)
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = [code for batch in pool.map(reserve, range(8)) for code in batch]

    accepted = codes.count("ok")
    assert accepted == 1_000 // 7
    assert set(codes) == {"ok", Code.INSUFFICIENT_AVAILABLE}
    assert setup.balances(SELLER)[BJ_UNIT] == (1_000 - 7 * accepted, 7 * accepted)
