"""Executing approved deliveries: exact balances, caps re-checked atomically, idempotent replay."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio as aioredis

from carbonlink.audit.ledger import audit_ledger
from carbonlink.audit.reconciliation import reconcile, reconciliation_check
from services.bridge.decisions import Bridge
from shared import redis_keys
from shared.ledger import Ledger
from shared.ledger.views import text_map
from shared.read_models import linkage
from shared.reference import Caps
from shared.reference_store import ReferenceStore
from tests.integration.bridge.books import BJ_UNIT, BUYER, CNY, SELLER, buyer, held_trade, link

pytestmark = pytest.mark.integration

TOTAL_UNITS = 1_000_000


def books_balance(client: redis.Redis) -> None:
    report = audit_ledger(client, extra_checks=[reconciliation_check])
    assert report.ok, [c.to_dict() for c in report.checks if not c.ok]


async def test_a_seoul_buyer_receives_beijing_units_converted_levied_and_cancelled(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, redis_client: redis.Redis
) -> None:
    request = held_trade(ledger, 1, qty=1_000, price=5_000, limit_price=5_200)
    hold = ledger.record(redis_keys.hold_key(request.trade_id, "buy"))

    outcome = await bridge.handle(request)

    assert (outcome.outcome, outcome.reason_code) == ("APPROVED", 0)
    assert ledger.balances(BUYER)[BJ_UNIT] == (1_860, 0)
    assert ledger.balances("KR/LEVY") == {BJ_UNIT: (100, 0)}
    assert ledger.balances("KR/CANCELLATION") == {BJ_UNIT: (40, 0)}
    assert ledger.balances("KR/BRIDGE") == {BJ_UNIT: (-2_000, 0)}
    assert ledger.balances("CN-BJ/BRIDGE") == {BJ_UNIT: (1_000, 0)}
    assert ledger.balances(SELLER)[BJ_UNIT] == (TOTAL_UNITS - 1_000, 0)
    assert request.buyer_cash == 5_005_000 and request.seller_cash == 4_997_500
    assert ledger.balances(SELLER)[CNY] == (4_997_500, 0)
    assert ledger.balances("CN-BJ/FEES") == {CNY: (7_500, 0)}
    assert ledger.balances(BUYER)[CNY] == (10**12 - 5_005_000, 0)
    assert int(hold["remaining"]) - request.buyer_cash == 200_200  # price improvement, released
    assert ledger.record(redis_keys.hold_key(request.trade_id, "buy")) == {}
    assert ledger.record(redis_keys.hold_key(request.trade_id, "sell")) == {}
    assert linkage.adjustments_from(text_map(await aredis.hgetall(linkage.adjustments_key(2025)))) == {
        "CN-BJ": 1_860, "KR": -1_860}
    flows = linkage.flows_from_counters(text_map(await aredis.hgetall(linkage.NETFLOW)))
    assert linkage.pair_view(flows, "CN-BJ", "KR").net_out_of_a == 1_000
    books_balance(redis_client)


async def test_a_discounted_conversion_rounds_down_and_returns_the_remainder_to_the_seller(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, redis_client: redis.Redis
) -> None:
    await ReferenceStore(aredis).put_link(link(exchange_rate="2", discount="0.05", levy_share="0",
                                               cancellation_share="0"))
    request = held_trade(ledger, 1, qty=15)

    assert (await bridge.handle(request)).outcome == "APPROVED"

    assert ledger.balances(BUYER)[BJ_UNIT] == (28, 0)  # 15 x 2 x 0.95 = 28.5, rounded down
    assert ledger.balances(SELLER)[BJ_UNIT] == (TOTAL_UNITS - 15, 0)
    books_balance(redis_client)


async def test_the_delivery_beyond_the_period_cap_is_refused_and_nothing_moves(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, redis_client: redis.Redis
) -> None:
    await ReferenceStore(aredis).put_link(link(caps=Caps(per_period=2_000)))
    assert (await bridge.handle(held_trade(ledger, 1, qty=1_000))).outcome == "APPROVED"
    second = held_trade(ledger, 2, qty=100)
    before = [ledger.balances(account) for account in (BUYER, SELLER, "KR/BRIDGE", "CN-BJ/BRIDGE")]

    outcome = await bridge.handle(second)

    assert (outcome.outcome, outcome.reason_code) == ("REFUSED", 7151)
    assert [ledger.balances(account) for account in (BUYER, SELLER, "KR/BRIDGE", "CN-BJ/BRIDGE")] == before
    assert ledger.record(redis_keys.hold_key(second.trade_id, "sell"))["remaining"] == "100"
    assert redis_client.exists(redis_keys.entry_key(f"bridge:{second.trade_id}")) == 0
    books_balance(redis_client)


async def test_a_replayed_request_repeats_its_decision_and_moves_nothing(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, redis_client: redis.Redis
) -> None:
    await ReferenceStore(aredis).put_link(link(caps=Caps(per_period=1_860)))
    approved, refused = held_trade(ledger, 1), held_trade(ledger, 2, qty=10)
    first = [await bridge.handle(approved), await bridge.handle(refused)]
    before = (ledger.balances(BUYER), ledger.balances(SELLER), len(ledger.journal("KR")),
              redis_client.xlen("bridge:audit"))

    again = [await bridge.handle(approved), await bridge.handle(refused)]

    assert [(o.outcome, o.reason_code) for o in again] == [(o.outcome, o.reason_code) for o in first]
    assert [o.outcome for o in first] == ["APPROVED", "REFUSED"] and all(o.replayed for o in again)
    assert (ledger.balances(BUYER), ledger.balances(SELLER), len(ledger.journal("KR")),
            redis_client.xlen("bridge:audit")) == before
    books_balance(redis_client)


async def test_concurrent_requests_never_exceed_the_period_cap(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, redis_client: redis.Redis
) -> None:
    await ReferenceStore(aredis).put_link(link(exchange_rate="1", levy_share="0", cancellation_share="0",
                                               caps=Caps(per_period=100)))
    requests = [held_trade(ledger, n, qty=10, buy_account=buyer(n % 3)) for n in range(50)]

    outcomes = await asyncio.gather(*(bridge.handle(request) for request in requests))

    assert sorted(o.outcome for o in outcomes).count("APPROVED") == 10
    assert {o.reason_code for o in outcomes if o.outcome == "REFUSED"} == {7151}
    rechecked = [f for _, f in redis_client.xrange("bridge:audit") if b"LEDGER_ENTRY" in f[b"checks"]]
    assert rechecked, "the requests raced: some were approved on stale counters and refused by the ledger"
    assert sum(ledger.balances(buyer(n)).get(BJ_UNIT, (0, 0))[0] for n in range(3)) == 100
    assert reconcile(redis_client).approvals == 10
    books_balance(redis_client)
