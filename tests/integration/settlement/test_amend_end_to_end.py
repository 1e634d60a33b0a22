"""Amends through the whole embedded stack: orders placed and amended over HTTP, crossed by matching, and
settled at their amended terms, with what the amends freed back on available."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis

from services.order_entry.principals import PrincipalStore, Role
from carbonlink.audit.ledger import check_reservations
from shared.fees import FeeSchedule
from services.settlement.trade_state import trade_key
from shared.ledger import Ledger
from shared.ledger.snapshot import take_snapshot
from tests.polling import eventually

pytestmark = pytest.mark.integration

FEES = FeeSchedule(maker_bps=10, taker_bps=20, min_fee=100)
UNIT = "U:CN-BJ:ALLOWANCE:2025"
CASH = 1_000_000  # minor units: 10,000.00 CNY


async def operator_key(redis_url: str) -> dict[str, str]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        _, key = await PrincipalStore(client).create_key(principal=f"ops-{uuid.uuid4().hex[:6]}", role=Role.OPERATOR)
    finally:
        await client.aclose()
    return {"X-API-Key": key}


async def call(client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], **body: Any) -> dict:
    response = await client.request(method, path, json=body or None, headers=headers)
    assert response.status_code < 300, response.text
    return response.json()


async def test_a_buy_raised_over_http_crosses_and_settles_at_its_new_limit_and_a_cut_sell_frees_its_units(
        running_stack) -> None:
    settings = running_stack.settings
    tag = uuid.uuid4().hex[:6]
    instrument, buyer, seller = f"AMD-{tag}", f"CN-BJ/buyer-{tag}", f"CN-BJ/seller-{tag}"
    ops = await operator_key(settings.redis_url)
    async with httpx.AsyncClient(base_url=settings.order_entry_url, timeout=10) as api:
        await call(api, "POST", "/v1/admin/registries", ops, id="CN-BJ", name="Beijing", currency="CNY")
        await call(api, "POST", "/v1/admin/instruments", ops, id=instrument, registry="CN-BJ", currency="CNY",
                   unit={"origin": "CN-BJ", "type": "ALLOWANCE", "vintage": 2025}, tick=1, lot=1, min_quantity=1,
                   max_quantity=100_000, band="1/10", reference_price=5000, phase="CONTINUOUS",
                   fees={"maker_bps": FEES.maker_bps, "taker_bps": FEES.taker_bps, "min_fee": FEES.min_fee})
        await call(api, "POST", f"/v1/admin/instruments/{instrument}/phase", ops, phase="CONTINUOUS")
        keys = {}
        for account in (buyer, seller):
            principal = account.split("/")[1]
            keys[account] = {"X-API-Key": (await call(api, "POST", "/v1/admin/keys", ops, principal=principal,
                                                      role="trader"))["api_key"]}
            await call(api, "POST", "/v1/admin/accounts", ops, id=account, holder=principal, principals=[principal])
        await call(api, "POST", "/v1/admin/deposits", ops, account=buyer, currency="CNY", amount="10000.00")
        await call(api, "POST", "/v1/admin/issuances", ops, account=seller, origin="CN-BJ", unit_type="ALLOWANCE",
                   vintage=2025, quantity=1_000)

        def order(account: str, side: str, price: str, quantity: int) -> dict[str, Any]:
            return {"instrument": instrument, "account": account, "side": side, "type": "LIMIT",
                    "time_in_force": "GTC", "price": price, "quantity": quantity, "client_order_id": f"{side}-{tag}"}

        sell = await call(api, "POST", "/v1/orders", keys[seller], **order(seller, "SELL", "51.00", 150))
        buy = await call(api, "POST", "/v1/orders", keys[buyer], **order(buyer, "BUY", "50.00", 100))
        client = redis.Redis.from_url(settings.redis_url)
        ledger = Ledger(client)
        await eventually(lambda: ledger.balances(buyer).get("C:CNY", (0, 0))[1] > 0
                    and ledger.balances(seller).get(UNIT, (0, 0))[1] == 150)
        await call(api, "PATCH", f"/v1/orders/{sell['order_id']}", keys[seller], quantity=100)
        await eventually(lambda: ledger.balances(seller)[UNIT] == (900, 100))
        await call(api, "PATCH", f"/v1/orders/{buy['order_id']}", keys[buyer], price="51.00")

        await eventually(lambda: client.hget(trade_key(f"{instrument}:T1"), "status") == b"SETTLED")
        await eventually(lambda: ledger.balances(buyer)["C:CNY"][1] == 0)

    buyer_fee, seller_fee = FEES.fee(510_000, maker=False), FEES.fee(510_000, maker=True)
    assert ledger.balances(buyer) == {"C:CNY": (CASH - 510_000 - buyer_fee, 0), UNIT: (100, 0)}
    assert ledger.balances(seller) == {"C:CNY": (510_000 - seller_fee, 0), UNIT: (900, 0)}
    assert check_reservations(client, take_snapshot(client)).ok
    client.close()


