"""Issue 12: kill -9 of each component under a crossing-order load through the HTTP API, then a restart as an
operator does it (`carbonlink stack up`, or `stack restart COMPONENT`). Once the exchange is quiet, every order
the API accepted rests on the book, is filled, cancelled, or rejected with a reason; every trade is settled
exactly once or refused with a reason code; an order placed after the restart settles; and `carbonlink audit`
passes, which proves units and cash conserved. The harness is `tests/integration/recovery/harness.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.recovery.harness import crash_rig

pytestmark = pytest.mark.integration

BEFORE_KILL = 40  # orders accepted before the kill


async def kill_under_load_then_recover(tmp_path: Path, component: str, *, restart: str | None = None,
                                      **settings: object) -> None:
    """`component` names what is killed; several joined by "+" are killed together."""
    async with crash_rig(tmp_path, **settings) as rig:
        load = rig.start_load()
        await load.until_accepted(BEFORE_KILL)
        for name in component.split("+"):
            rig.kill(name)
        await load.until_outage_felt()
        await rig.restart(restart)
        probe_s = await rig.time_to_settle()
        await load.stop()
        await rig.wait_quiet(load)
        tally = rig.tally(load)
        report = rig.audit()
        rig.record(component, tally, probe_s, report)

    assert tally.accepted >= BEFORE_KILL
    assert tally.lost == [], f"{len(tally.lost)} accepted order(s) neither rest nor ended: {tally.lost[:10]}"
    assert tally.duplicated == [], f"settled more than once: {tally.duplicated[:10]}"
    assert tally.unsettled == [], f"{len(tally.unsettled)} trade(s) neither settled nor refused: {tally.unsettled[:10]}"
    assert tally.trades == tally.settled + tally.refused > 0
    assert probe_s is not None, "an order placed after the restart never settled"
    failing = [check.to_dict() for check in report.checks if not check.ok]
    assert report.ok, failing
    checks = {check.name: check for check in report.checks}
    assert checks["units"].ok and checks["cash"].ok


async def test_order_entry_killed_under_load_loses_no_accepted_order(tmp_path: Path) -> None:
    await kill_under_load_then_recover(tmp_path, "order_entry")


# Matching's events that overtook a failed batch after the restart are held back by settlement until the lost ones
# come (`Envelope.follows`). The last failure (1 in 30, at a load average of ~20 on 2 cores) was settlement's consumer
# never rejoining its group after the restart: every group consumer is now watched (`shared.consumer_watchdog`) and
# replaced when it has not rejoined 15 s after its topics were recreated.
async def test_broker_killed_under_load_loses_no_accepted_order_or_trade(tmp_path: Path) -> None:
    await kill_under_load_then_recover(tmp_path, "broker")


@pytest.mark.slow
async def test_matching_killed_under_load_loses_nothing(tmp_path: Path) -> None:
    await kill_under_load_then_recover(tmp_path, "matching-0")


@pytest.mark.slow
async def test_matching_and_broker_killed_together_lose_no_command_accepted_after_the_snapshot(tmp_path: Path) -> None:
    """Matching snapshots only when an operator's command asks for it (never on the clock): it restarts from the
    snapshot taken when the instruments were set up, the broker forgot every command since, and only order entry's
    outbox, which keeps what matching acknowledged until a snapshot covers it, still has them."""
    await kill_under_load_then_recover(tmp_path, "matching-0+broker", matching_snapshot_interval_s=3600.0)


@pytest.mark.slow
async def test_settlement_killed_under_load_settles_every_trade_once(tmp_path: Path) -> None:
    await kill_under_load_then_recover(tmp_path, "settlement", restart="settlement")


@pytest.mark.slow
async def test_bridge_killed_under_load_settles_every_cross_border_trade_once(tmp_path: Path) -> None:
    await kill_under_load_then_recover(tmp_path, "bridge", restart="bridge")


@pytest.mark.slow
async def test_redis_killed_under_load_comes_back_from_its_append_only_file(tmp_path: Path) -> None:
    await kill_under_load_then_recover(tmp_path, "redis")
