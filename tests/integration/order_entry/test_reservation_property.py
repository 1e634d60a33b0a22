"""Property: after any sequence of places and terminal releases, the reserved balances equal exactly what the
open orders need (buy: limit × qty + fee bound; sell: the units)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.order_entry.principals import PrincipalStore, Role
from shared.fees import FeeSchedule, buy_reservation
from shared.ledger import AsyncLedger
from tests.integration.order_entry.conftest import Exchange, instrument_body, order_body

pytestmark = pytest.mark.integration

FEES = FeeSchedule(10, 20, 100)
place = st.tuples(st.just("place"), st.sampled_from(["BUY", "SELL"]), st.integers(4500, 5500),
                  st.integers(1, 40).map(lambda n: n * 10))
release = st.tuples(st.just("release"), st.integers(0, 30))
steps = st.lists(st.one_of(place, release), min_size=1, max_size=12)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(sequence=steps)
async def test_reserved_equals_what_open_orders_need(exchange_factory, sequence) -> None:
    exchange, trader = await exchange_factory()
    ledger = AsyncLedger(exchange.client._transport.app.state.ctx.redis)  # type: ignore[attr-defined]
    open_orders: dict[str, tuple[str, int, int]] = {}
    for n, step in enumerate(sequence):
        if step[0] == "place":
            _, side, price, qty = step
            response = await exchange.client.post("/v1/orders", headers=trader, json=order_body(
                side=side, price=f"{price // 100}.{price % 100:02d}", quantity=qty, client_order_id=f"p{n}"))
            if response.status_code == 201:
                open_orders[response.json()["order_id"]] = (side, price, qty)
            else:
                assert response.json()["code"] in ("INSUFFICIENT_FUNDS", "INSUFFICIENT_UNITS"), response.text
        elif open_orders:
            order_id = sorted(open_orders)[step[1] % len(open_orders)]
            await ledger.release_order(order_id=order_id, time=0)  # what settlement does on a cancel
            del open_orders[order_id]
    balances = await ledger.balances("CN-BJ/alpha")
    cash_needed = sum(buy_reservation(FEES, limit_price=p, quantity=q) for s, p, q in open_orders.values() if s == "BUY")
    units_needed = sum(q for s, _, q in open_orders.values() if s == "SELL")
    assert balances.get("C:CNY", (0, 0))[1] == cash_needed
    assert balances.get("U:CN-BJ:ALLOWANCE:2025", (0, 0))[1] == units_needed
    assert sum(balances["C:CNY"]) == 2_000_000 and sum(balances["U:CN-BJ:ALLOWANCE:2025"]) == 1000


@pytest.fixture
def exchange_factory(api, oe_context):
    """Each hypothesis example starts from an empty Redis and a fresh market."""
    async def build():
        await oe_context.redis.flushdb()
        _, key = await PrincipalStore(oe_context.redis).create_key(principal="ops", role=Role.OPERATOR)
        exchange = Exchange(api, {"X-API-Key": key})
        await exchange.admin("registries", {"id": "CN-BJ", "currency": "CNY"})
        await exchange.admin("instruments", instrument_body())
        trader = await exchange.trader("alpha", "CN-BJ/alpha", cny="20000", units=1000)
        return exchange, trader

    return build
