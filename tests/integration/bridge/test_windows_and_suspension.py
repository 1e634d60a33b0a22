"""Settlement windows defer deliveries; suspending or terminating a link acts at once, per its policy."""

from __future__ import annotations

import pytest
import redis
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from carbonlink.audit.ledger import audit_ledger
from services.bridge import bridge_keys, deferrals, link_operations
from services.bridge.decisions import Bridge
from services.bridge.redis_usage import RedisUsageReader
from shared.ledger import AsyncLedger, Ledger
from shared.messages import payload_of
from shared.messages.link_commands import LinkCommand, ResumeLink, SuspendLink, TerminateLink
from shared.messages.order_commands import MassCancel
from shared.read_models import link_commands
from shared.read_models.link_commands import LinkCommandResult
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
        report = await execute(aredis, producer, SuspendLink(link_id="BJ-KR"), at=suspended_at)
        [cancel] = await commands.collect(lambda e: e.correlation_id == "BJ-KR" and e.type == "MassCancel", count=1)

    assert payload_of(cancel) == MassCancel(instrument=INSTRUMENT.id, registry="KR", reason="LINK_SUSPENDED")
    assert (report.status, report.suspended_at, report.settling, report.refused) == (
        "SUSPENDED", suspended_at, [before.trade_id], [])
    assert [(c.instrument, c.registry) for c in report.mass_cancels] == [(INSTRUMENT.id, "KR")]
    after = held_trade(ledger, 2, matched_at=suspended_at + 1)
    assert ((await bridge.handle(after)).outcome, (await bridge.handle(after)).reason_code) == ("REFUSED", 7105)
    [settled] = await bridge.run_due(now=TUESDAY_MIDNIGHT)
    assert settled.outcome == "APPROVED"
    assert (await execute(aredis, producer, ResumeLink(link_id="BJ-KR"), at=TUESDAY_MIDNIGHT)).status == "ACTIVE"
    assert audit_ledger(redis_client).ok


async def test_suspension_with_a_refuse_policy_refuses_parked_trades_at_once_and_reports_the_net_flow(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, producer: AIOKafkaProducer
) -> None:
    assert (await bridge.handle(held_trade(ledger, 1))).outcome == "APPROVED"
    await ReferenceStore(aredis).put_link(link(calendar=Calendar(weekdays=("TUE",))))
    parked = held_trade(ledger, 2, matched_at=MONDAY_3_MARCH_2025)
    assert (await bridge.handle(parked)).outcome == "DEFERRED"

    report = await execute(aredis, producer, SuspendLink(link_id="BJ-KR"), at=MONDAY_3_MARCH_2025 + HOUR)

    assert report.refused == [parked.trade_id] and await deferrals.parked(aredis) == []
    assert (await bridge.handle(parked)).reason_code == 7105
    [pair] = report.net_flows
    assert (pair.a_to_b.consumed, pair.a_to_b.delivered, pair.net_out_of_a) == (1_000, 1_860, 1_000)


async def test_a_terminated_link_refuses_everything_and_stays_terminated(
    bridge: Bridge, ledger: Ledger, aredis: aioredis.Redis, producer: AIOKafkaProducer
) -> None:
    await execute(aredis, producer, TerminateLink(link_id="BJ-KR"), at=MONDAY_3_MARCH_2025)

    assert (await bridge.handle(held_trade(ledger, 1))).reason_code == 7106
    refused = await execute(aredis, producer, ResumeLink(link_id="BJ-KR"), at=MONDAY_3_MARCH_2025)
    assert (refused.outcome, refused.code, refused.status) == ("REFUSED", "LINK_TERMINATED", "TERMINATED")
    assert (await ReferenceStore(aredis).link("BJ-KR")).status == "TERMINATED"


async def test_a_redelivered_link_command_is_answered_from_its_recorded_result_and_changes_nothing(
    aredis: aioredis.Redis, producer: AIOKafkaProducer
) -> None:
    await ReferenceStore(aredis).put_link(link())
    first = await execute(aredis, producer, SuspendLink(link_id="BJ-KR"), at=MONDAY_3_MARCH_2025, command_id="c-1")
    await execute(aredis, producer, ResumeLink(link_id="BJ-KR"), at=MONDAY_3_MARCH_2025 + HOUR, command_id="c-2")

    again = await execute(aredis, producer, SuspendLink(link_id="BJ-KR"), at=MONDAY_3_MARCH_2025 + 2 * HOUR,
                          command_id="c-1")

    assert again == first and (await ReferenceStore(aredis).link("BJ-KR")).status == "ACTIVE"
    assert link_commands.decode(await aredis.get(link_commands.result_key("c-1"))) == first
    audit = [fields for _, fields in await aredis.xrange(bridge_keys.AUDIT_STREAM)]
    assert [(f[b"command_id"], f[b"outcome"]) for f in audit] == [(b"c-1", b"LINK_SUSPENDED"), (b"c-2", b"LINK_ACTIVE")]


async def test_a_command_on_an_unknown_link_is_refused(aredis: aioredis.Redis, producer: AIOKafkaProducer) -> None:
    result = await execute(aredis, producer, SuspendLink(link_id="NOPE"), at=MONDAY_3_MARCH_2025)

    assert (result.outcome, result.code) == ("REFUSED", "LINK_NOT_FOUND")


async def execute(aredis: aioredis.Redis, producer: AIOKafkaProducer, command: LinkCommand, *, at: int,
                  command_id: str | None = None) -> LinkCommandResult:
    """The bridge executing an operator's command as its ``bridge.commands`` consumer does."""
    bridge = Bridge(aredis, producer, ledger=AsyncLedger(aredis), usage=RedisUsageReader(aredis))
    return await link_operations.execute(aredis, producer, command, bridge=bridge,
                                         command_id=command_id or f"cmd-{type(command).__name__}-{at}", at=at)
