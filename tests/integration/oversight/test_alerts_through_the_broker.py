"""Every alert kind raised by the oversight service from events on the real broker, the corridor's HALT sent
as a phase command and its BAND as a band override command, and a restart that rebuilds the detectors' state from the topics."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from services.oversight.detectors import Observed
from shared import oversight_keys as keys
from shared.corridor import Corridor
from shared.messages.vocabulary import Phase, Side
from shared.reference import Instrument, LinkageTerms, Registry, UnitClass
from shared.reference_store import ReferenceStore
from shared.topics import BRIDGE_AUDIT, ORDERS_COMMANDS, ORDERS_EVENTS, OVERSIGHT_ALERTS, SETTLEMENT_EVENTS
from tests.integration.oversight.harness import Oversight, private_servers, running_oversight, topic_messages
from tests.unit.oversight.builders import accepted, approved, cancelled, phase, settled, trade

pytestmark = pytest.mark.integration

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@pytest_asyncio.fixture(scope="module")
async def servers(tmp_path_factory):
    async with private_servers(tmp_path_factory.mktemp("oversight")) as found:
        yield found


@pytest_asyncio.fixture
async def oversight(servers) -> AsyncIterator[Oversight]:
    async with running_oversight(servers.settings) as service:
        yield service


def uid() -> str:
    return secrets.token_hex(3)


async def feed(service: Oversight, *events: Observed, topic: str = ORDERS_EVENTS.name) -> None:
    for event in events:
        key = getattr(event.message, "instrument", None) or getattr(event.message, "link_id", None) or "-"
        await service.send(topic, key, event.message, event_id=event.event_id, at=event.at)


async def test_a_trade_between_accounts_of_one_owner_raises_a_wash_trade_alert(oversight):
    u = uid()
    await oversight.redis.hset(keys.OWNERSHIP_GROUPS, mapping={f"CN-BJ/a{u}": f"acme{u}", f"CN-SH/b{u}": f"acme{u}"})
    await oversight.until_context(lambda c: c.owners.grouped(f"CN-BJ/a{u}"))
    await feed(oversight, trade(f"W{u}", at=T0, buy=f"CN-BJ/a{u}", sell=f"CN-SH/b{u}", instrument=f"I{u}"))
    found = await oversight.alert(f"WASH_TRADE:W{u}")
    assert (found.owner, found.evidence, found.severity) == (f"acme{u}", [f"ev:W{u}"], "HIGH")


async def test_large_bids_cancelled_near_the_touch_while_selling_raise_a_spoofing_alert(oversight):
    u, i = uid(), f"I{uid()}"
    events = [accepted(f"n{k}{u}", at=T0 + k, account="CN-BJ/honest", price=4990, instrument=i) for k in range(5)]
    for k in range(3):
        at = T0 + 10_000 + k * 5_000
        events += [accepted(f"s{k}{u}", at=at, account=f"CN-BJ/spoof{u}", quantity=100, instrument=i),
                   cancelled(f"s{k}{u}", at=at + 2_000, account=f"CN-BJ/spoof{u}", remaining=100, instrument=i)]
    events.append(trade(f"X{u}", at=T0 + 30_000, buy="CN-BJ/honest", sell=f"CN-BJ/spoof{u}", aggressor=Side.SELL,
                        instrument=i))
    await feed(oversight, *events)
    found = await oversight.alert(f"SPOOFING:{i}:acc:s0{u}")
    assert found.evidence[-1] == f"ev:X{u}" and len(found.evidence) == 7


async def test_one_owner_buying_the_close_up_raises_a_marking_the_close_alert(oversight):
    u, i = uid(), f"I{uid()}"
    close = T0 + 600_000
    marks = [trade(f"M{k}{u}", at=close - 10_000 + k, buy=f"CN-BJ/m{u}", sell="CN-BJ/y", price=5100 + 100 * k,
                   instrument=i) for k in range(3)]
    await feed(oversight,
               trade(f"A{u}", at=close - 300_000, buy="CN-BJ/x", sell="CN-BJ/y", price=5000, instrument=i), *marks,
               phase(f"close{u}", at=close, previous=Phase.CONTINUOUS, now=Phase.CLOSED, instrument=i))
    found = await oversight.alert(f"MARKING_THE_CLOSE:{i}:close{u}")
    assert found.evidence == [f"ev:M0{u}", f"ev:M1{u}", f"ev:M2{u}", f"close{u}"]


async def test_units_sent_across_and_bought_back_raise_a_round_trip_alert(oversight):
    u = uid()
    asset = f"U:CN-BJ{u}:ALLOWANCE:2025"
    await feed(oversight,
               settled(f"O{u}", at=T0, buy=f"CN-SH{u}/z", sell=f"CN-BJ{u}/a", asset=asset),
               settled(f"B{u}", at=T0 + 60_000, buy=f"CN-BJ{u}/a", sell=f"CN-SH{u}/z", asset=asset),
               topic=SETTLEMENT_EVENTS.name)
    found = await oversight.alert(f"CROSS_BORDER_ROUND_TRIP:O{u}:B{u}")
    assert found.evidence == [f"set:O{u}", f"set:B{u}"]


async def test_one_owner_taking_half_a_links_quota_raises_a_concentration_alert(oversight):
    u = uid()
    link = LinkageTerms(id=f"L{u}", kind="UNILATERAL", from_registry=f"CN-SH{u}", to_registry=f"CN-BJ{u}",
                        caps={"per_period": 400})
    await ReferenceStore(oversight.redis).put_link(link)
    await oversight.until_context(lambda c: link.id in c.caps)
    deliveries = [(f"C{k}{u}", 100) for k in range(2)]
    for trade_id, quantity in deliveries:
        await feed(oversight, approved(trade_id, at=T0, link_id=link.id), topic=BRIDGE_AUDIT.name)
        await feed(oversight, settled(trade_id, at=T0, buy=f"CN-BJ{u}/importer", sell=f"CN-SH{u}/z",
                                      asset=f"U:CN-SH{u}:ALLOWANCE:2025", quantity=quantity),
                   topic=SETTLEMENT_EVENTS.name)
    found = await oversight.alert(f"QUOTA_CONCENTRATION:L{u}:2026:CN-BJ{u}/importer")
    assert found.details == {"received": 200, "cap": 400, "period": 2026}


async def _corridor_market(service: Oversight, action: str) -> tuple[str, str]:
    """A Tokyo market (JPY) under a CNY corridor of 20–150 at 1 JPY = 0.05 CNY."""
    u = uid()
    store = ReferenceStore(service.redis)
    await store.put_registry(Registry(id=f"JP{u}", currency="JPY"))
    await store.put_instrument(Instrument(id=f"TYO{u}", registry=f"JP{u}", currency="JPY",
                                          unit=UnitClass(origin=f"JP{u}", type="ALLOWANCE", vintage=2025),
                                          tick=1, lot=1))
    await store.put_link(LinkageTerms(
        id=f"K{u}", kind="BILATERAL", from_registry=f"CN{u}", to_registry=f"JP{u}",
        corridor=Corridor(currency="CNY", floor=2000, ceiling=15000, fx={"JPY": "0.05"}, action=action)))
    await service.until_context(lambda c: f"TYO{u}" in c.watches)
    return f"K{u}", f"TYO{u}"


async def test_a_market_leaving_its_corridor_raises_an_alert_and_halt_sends_the_halt_phase_command(oversight):
    link_id, instrument = await _corridor_market(oversight, "HALT")
    await feed(oversight, trade("in" + instrument, at=T0, price=1000, instrument=instrument),
               trade("out" + instrument, at=T0 + 1, price=3100, instrument=instrument))
    found = await oversight.alert(f"CORRIDOR_BREACH:{link_id}:{instrument}:ev:out{instrument}")
    assert (found.details["breach"], found.details["action"], found.details["reference_price"]) == (
        "ABOVE_CEILING", "HALT", "15500.00")
    commands = [m for m in await topic_messages(oversight.settings, ORDERS_COMMANDS.name)
                if m["payload"].get("instrument") == instrument]
    assert [(m["type"], m["payload"]["phase"], m["event_id"]) for m in commands] == [
        ("ChangePhase", "HALTED", f"oversight-halt:{found.alert_id}")]


async def test_a_market_leaving_a_band_corridor_sends_the_corridor_in_its_own_prices_as_a_band_override(oversight):
    link_id, instrument = await _corridor_market(oversight, "BAND")
    await feed(oversight, trade("low" + instrument, at=T0, price=300, instrument=instrument))
    found = await oversight.alert(f"CORRIDOR_BREACH:{link_id}:{instrument}:ev:low{instrument}")
    assert (found.details["breach"], found.details["band_low"], found.details["band_high"]) == ("BELOW_FLOOR", 400, 3000)
    commands = [m for m in await topic_messages(oversight.settings, ORDERS_COMMANDS.name)
                if m["payload"].get("instrument") == instrument]
    assert [(m["type"], m["payload"], m["event_id"]) for m in commands] == [
        ("SetBandOverride", {"instrument": instrument, "low": 400, "high": 3000, "reason": f"corridor of link {link_id}",
                             "pin": "LOW"},  # below the floor: pinned there should it share no price with another
         f"oversight-band:{found.alert_id}")]


async def test_a_corridor_with_action_alert_only_raises_the_alert(oversight):
    link_id, instrument = await _corridor_market(oversight, "ALERT")
    await feed(oversight, trade("low" + instrument, at=T0, price=300, instrument=instrument))
    found = await oversight.alert(f"CORRIDOR_BREACH:{link_id}:{instrument}:ev:low{instrument}")
    assert found.details["breach"] == "BELOW_FLOOR"
    commands = [m for m in await topic_messages(oversight.settings, ORDERS_COMMANDS.name)
                if m["payload"].get("instrument") == instrument]
    assert commands == []


async def test_a_restarted_oversight_rebuilds_its_state_from_the_topics_and_raises_nothing_twice(servers):
    u, i = uid(), f"I{uid()}"
    spoofer = f"CN-BJ/spoof{u}"
    history = [accepted(f"n{k}{u}", at=T0 + k, account="CN-BJ/honest", price=4990, instrument=i) for k in range(5)]
    for k in range(3):
        at = T0 + 10_000 + k * 5_000
        history += [accepted(f"s{k}{u}", at=at, account=spoofer, quantity=100, instrument=i),
                    cancelled(f"s{k}{u}", at=at + 2_000, account=spoofer, remaining=100, instrument=i)]
    async with running_oversight(servers.settings) as first:
        await first.redis.hset(keys.OWNERSHIP_GROUPS, mapping={f"CN-BJ/a{u}": f"acme{u}", f"CN-BJ/b{u}": f"acme{u}"})
        await first.until_context(lambda c: c.owners.grouped(f"CN-BJ/a{u}"))
        await feed(first, trade(f"W{u}", at=T0, buy=f"CN-BJ/a{u}", sell=f"CN-BJ/b{u}", instrument=i), *history)
        await first.alert(f"WASH_TRADE:W{u}")
    # the spoofer's cancels were seen only by the first life; the trade completing the pattern comes after it
    async with running_oversight(servers.settings) as second:
        await feed(second, trade(f"X{u}", at=T0 + 30_000, buy="CN-BJ/honest", sell=spoofer, aggressor=Side.SELL,
                                 instrument=i))
        spoofing = await second.alert(f"SPOOFING:{i}:acc:s0{u}")
    assert spoofing.evidence[-1] == f"ev:X{u}"
    published = [m["event_id"] for m in await topic_messages(servers.settings, OVERSIGHT_ALERTS.name)]
    assert published.count(f"WASH_TRADE:W{u}") == 1
    assert published.count(spoofing.alert_id) == 1
