"""Settlement windows defer deliveries; suspending or terminating a link acts at once, per its policy."""

from __future__ import annotations

import pytest
import redis
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.bridge import deferrals, link_operations
from services.bridge.decisions import Bridge
from carbonlink.audit.ledger import audit_ledger
from shared.ledger import Ledger
from shared.messages import MassCancel, payload_of
from shared.reference import Calendar, SuspensionPolicy
from shared.reference_store import ReferenceStore
from shared.settings import Settings
from shared.topics import ORDERS_COMMANDS
from tests.integration.bridge.books import BJ_UNIT, BUYER, INSTRUMENT, MONDAY_3_MARCH_2025, held_trade, link, ms
from tests.integration.bridge.probes import probe

pytestmark = pytest.mark.integration

TUESDAY_MIDNIGHT = ms(2025, 3, 4)
HOUR = 3_600_000


async def test_a_delivery_outside_the_window_waits_for_the_next_opening_and_then_settles(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis
) -> None:
    await ReferenceStore(aredis).put_link(link(calendar=Calendar(weekdays=("TUE", "THU"))))
    request = held_trade(ledger, 1, matched_at=MONDAY_3_MARCH_2025)

    outcome = await bridge.handle(request)

    assert (outcome.outcome, outcome.retry_at) == ("DEFERRED", TUESDAY_MIDNIGHT)
    assert BJ_UNIT not in ledger.balances(BUYER)
    assert await bridge.run_due(now=TUESDAY_MIDNIGHT - 1) == []
    [settled] = await bridge.run_due(now=TUESDAY_MIDNIGHT + 5)
    assert settled.outcome == "APPROVED" and ledger.balances(BUYER)[BJ_UNIT] == (1_860, 0)
    assert await deferrals.parked(aredis) == []


async def test_a_window_in_local_time_opens_at_local_midnight(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis
) -> None:
    await ReferenceStore(aredis).put_link(link(calendar=Calendar(weekdays=("TUE",), utc_offset="+09:00")))

    outcome = await bridge.handle(held_trade(ledger, 1, matched_at=MONDAY_3_MARCH_2025))

    assert outcome.retry_at == TUESDAY_MIDNIGHT - 9 * HOUR  # Monday 15:00 UTC is Tuesday 00:00 in Seoul


async def test_suspension_with_a_settle_policy_lets_earlier_trades_settle_and_refuses_later_ones(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, producer: AIOKafkaProducer, settings: Settings,
    redis_client: redis.Redis,
) -> None:
    await ReferenceStore(aredis).put_instrument(INSTRUMENT)
    await ReferenceStore(aredis).put_link(link(calendar=Calendar(weekdays=("TUE",)),
                                               suspension=SuspensionPolicy(in_flight="SETTLE")))
    before = held_trade(ledger, 1, matched_at=MONDAY_3_MARCH_2025)
    assert (await bridge.handle(before)).outcome == "DEFERRED"
    suspended_at = MONDAY_3_MARCH_2025 + 2 * HOUR

    async with probe(settings, ORDERS_COMMANDS.name) as commands:
        report = await link_operations.suspend_link(aredis, producer, "BJ-KR", at=suspended_at)
        [cancel] = await commands.collect(lambda e: e.correlation_id == "BJ-KR" and e.type == "MassCancel", count=1)

    assert payload_of(cancel) == MassCancel(instrument=INSTRUMENT.id, registry="KR", reason="LINK_SUSPENDED")
    assert (report.status, report.suspended_at, report.settling, report.refused) == (
        "SUSPENDED", suspended_at, (before.trade_id,), ())
    assert [(c.instrument, c.registry) for c in report.mass_cancels] == [(INSTRUMENT.id, "KR")]
    after = held_trade(ledger, 2, matched_at=suspended_at + 1)
    assert ((await bridge.handle(after)).outcome, (await bridge.handle(after)).reason_code) == ("REFUSED", 7105)
    [settled] = await bridge.run_due(now=TUESDAY_MIDNIGHT)
    assert settled.outcome == "APPROVED"
    assert (await link_operations.resume_link(aredis, producer, "BJ-KR", at=TUESDAY_MIDNIGHT)).status == "ACTIVE"
    assert audit_ledger(redis_client).ok


async def test_suspension_with_a_refuse_policy_refuses_parked_trades_at_once_and_reports_the_net_flow(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, producer: AIOKafkaProducer
) -> None:
    assert (await bridge.handle(held_trade(ledger, 1))).outcome == "APPROVED"
    await ReferenceStore(aredis).put_link(link(calendar=Calendar(weekdays=("TUE",))))
    parked = held_trade(ledger, 2, matched_at=MONDAY_3_MARCH_2025)
    assert (await bridge.handle(parked)).outcome == "DEFERRED"

    report = await link_operations.suspend_link(aredis, producer, "BJ-KR", at=MONDAY_3_MARCH_2025 + HOUR)

    assert report.refused == (parked.trade_id,) and await deferrals.parked(aredis) == []
    assert (await bridge.handle(parked)).reason_code == 7105
    [pair] = report.net_flows
    assert (pair.a_to_b.consumed, pair.a_to_b.delivered, pair.net_out_of_a) == (1_000, 1_860, 1_000)


async def test_a_terminated_link_refuses_everything_and_stays_terminated(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, producer: AIOKafkaProducer
) -> None:
    await link_operations.terminate_link(aredis, producer, "BJ-KR", at=MONDAY_3_MARCH_2025)

    assert (await bridge.handle(held_trade(ledger, 1))).reason_code == 7106
    with pytest.raises(link_operations.LinkTerminated):
        await link_operations.resume_link(aredis, producer, "BJ-KR", at=MONDAY_3_MARCH_2025)

