"""The scenario as operator calls, and the drill's timetable."""

from __future__ import annotations

import math
from pathlib import Path

from carbonlink.drill.scenario import LinkState, load_scenario
from carbonlink.drill.schedule import SUSPEND_AT, business_ms, day_steps, link_changes, session_steps, timetable
from carbonlink.drill.setup_plan import bridge_periods, link_terms, roster, setup_plan

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def test_the_plan_creates_registries_and_instruments_before_links_keys_and_accounts() -> None:
    scenario = load_scenario(SCENARIOS / "two-markets.yaml")
    members = roster(scenario, tag="t-")
    paths = [call.path for call in setup_plan(scenario, members)]
    assert paths.index("/v1/admin/instruments") > paths.index("/v1/admin/registries")
    assert paths.index("/v1/admin/links") < paths.index("/v1/admin/keys") < paths.index("/v1/admin/accounts")
    assert paths.count("/v1/admin/keys") == len(members) == 16
    assert paths.count("/v1/admin/allocations") == 10


def test_each_entity_s_obligation_is_recorded_for_the_bridge_periods_before_it_trades() -> None:
    scenario = load_scenario(SCENARIOS / "two-markets.yaml")
    members = roster(scenario, tag="t-")
    plan = setup_plan(scenario, members, periods=["2025", "2026"])
    recorded = [call.body for call in plan if call.path == "/v1/admin/emissions"]
    entities = [m for m in members if m.entity is not None]
    assert len(recorded) == 2 * len(entities) == 20
    assert {(b["account"], b["period"], b["tonnes"]) for b in recorded} == {
        (m.account, period, m.entity.baseline) for m in entities for period in ("2025", "2026")}


def test_the_bridge_periods_are_the_utc_calendar_years_a_span_of_business_time_touches() -> None:
    new_year = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    assert bridge_periods(new_year - 10, new_year - 1) == ["2025"]
    assert bridge_periods(new_year - 10, new_year + 10) == ["2025", "2026"]


def test_every_trader_gets_a_tagged_account_in_its_registry() -> None:
    scenario = load_scenario(SCENARIOS / "pilot-cities.yaml")
    members = roster(scenario, tag="r1-")
    assert len(members) == 7 * 8
    assert all(m.account.startswith(f"{m.registry}/r1-") and m.principal.startswith("r1-") for m in members)
    assert len({m.account for m in members}) == len(members)


def test_a_full_link_removes_all_caps_and_a_restricted_one_applies_the_phase_overrides() -> None:
    scenario = load_scenario(SCENARIOS / "pilot-cities.yaml")
    pilots = next(link for link in scenario.linkages if link.id == "CN-PILOTS")
    restricted = scenario.phases[1].links["CN-PILOTS"]
    assert link_terms(scenario, pilots, restricted)["caps"] == {
        "per_period": 500, "per_account": None, "share_of_obligation": "1/20"}
    full = link_terms(scenario, pilots, LinkState(state="full"))
    assert full["status"] == "ACTIVE" and full["caps"] == {"per_period": None, "per_account": None,
                                                           "share_of_obligation": None}
    assert link_terms(scenario, pilots, LinkState(state="suspended"))["status"] == "SUSPENDED"


def test_the_timetable_runs_every_phase_day_after_day() -> None:
    scenario = load_scenario(SCENARIOS / "pilot-cities.yaml")
    days = timetable(scenario)
    assert [d.day for d in days] == list(range(10))
    assert [d.phase.name for d in days if d.first_of_phase] == ["autarky", "restricted", "full", "delink", "recovery"]


def test_trading_days_are_weekdays_and_a_day_runs_in_steps_of_business_time() -> None:
    scenario = load_scenario(SCENARIOS / "pilot-cities.yaml")  # starts on Monday 7 July 2025
    assert [scenario.clock.day_start(day).day for day in (0, 4, 5, 9)] == [7, 11, 14, 18]
    [monday, *_] = timetable(scenario)
    steps = day_steps(scenario, monday, suspends=False)
    step_ms = scenario.clock.step_minutes * 60_000
    assert len(steps) == scenario.clock.steps_per_day
    assert steps[0].at == business_ms(scenario, 0, 0) and all(b.at - a.at == step_ms for a, b in zip(steps, steps[1:]))
    assert ("KR-KAU-2025", "OPENING_AUCTION") in steps[0].sessions
    assert not any(step.flatten or step.suspend for step in steps)


def test_the_delink_day_suspends_a_quarter_in_and_a_phase_s_last_day_ends_with_dealers_unwinding() -> None:
    scenario = load_scenario(SCENARIOS / "pilot-cities.yaml")
    days = timetable(scenario)
    delink = next(d for d in days if d.phase.name == "delink" and d.first_of_phase)
    steps = day_steps(scenario, delink, suspends=True)
    assert [s.index for s in steps if s.suspend] == [math.ceil(SUSPEND_AT * len(steps))]
    last = day_steps(scenario, days[-1], suspends=False)
    assert last[-1].flatten and not last[0].flatten


def test_the_korean_day_opens_with_a_call_and_closes_with_one() -> None:
    scenario = load_scenario(SCENARIOS / "pilot-cities.yaml")
    steps = session_steps(scenario.instrument("KR-KAU-2025"))
    assert [phase for _, phase in steps] == ["OPENING_AUCTION", "CONTINUOUS", "CLOSING_AUCTION", "CLOSED"]
    assert steps[1][0] == 0.2  # 30 of 150 session minutes


def test_the_delink_phase_suspends_only_the_china_korea_link() -> None:
    scenario = load_scenario(SCENARIOS / "pilot-cities.yaml")
    phases = {phase.name: phase for phase in scenario.phases}
    changes = link_changes(scenario, phases["full"], phases["delink"])
    assert [(c.linkage.id, c.after.state) for c in changes] == [("CN-KR", "suspended")]
