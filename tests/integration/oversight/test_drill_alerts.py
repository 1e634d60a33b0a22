"""Oversight in drills: a manipulator's every act raises its alert within the phase it happens, a scenario's
price corridor is set on its agreement at setup and its breaches are raised in their phase, and the honest
pilot-city drill raises none (no false positives)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx
import pytest

from carbonlink.drill.apply import apply_scenario
from carbonlink.drill.runner import run_drill
from carbonlink.drill.scenario import load_scenario
from carbonlink.drill.setup_plan import roster
from tests.integration.e2e.market import operator_key

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_each_manipulation_raises_its_alert_in_its_phase(running_stack, tmp_path: Path) -> None:
    result = run_drill(running_stack.settings, SCENARIOS / "two-markets-manipulated.yaml", out_dir=tmp_path / "drill",
                       quiet=True)

    assert result.audit_ok, json.dumps(result.summary, indent=1, default=str)
    raised = {phase: sorted(codes) for phase, codes in result.summary["alerts_per_phase"].items()}
    assert raised == {"wash": ["WASH_TRADE"], "spoofing": ["SPOOFING"], "closing": ["MARKING_THE_CLOSE"],
                      "round-trip": ["CROSS_BORDER_ROUND_TRIP"]}
    assert "Surveillance alerts per phase" in (tmp_path / "drill" / "report.html").read_text()


async def test_a_scenario_links_corridor_is_set_on_its_agreement_through_the_operator_api(running_stack) -> None:
    scenario = load_scenario(SCENARIOS / "two-markets-corridor.yaml")
    settings = running_stack.settings
    key = await operator_key(settings.redis_url, f"corridor-loader-{secrets.token_hex(3)}")
    async with httpx.AsyncClient(base_url=settings.order_entry_url, headers=key, timeout=30) as operator:
        await apply_scenario(operator, scenario, members=roster(scenario, tag=f"c{secrets.token_hex(3)}-"))
        view = await operator.get("/v1/links/A-B/corridor")
        terms = await operator.get("/v1/admin/links/A-B")

    assert view.status_code == 200, view.text
    assert view.json()["corridor"] == {"currency": "CNY", "floor": 1500, "ceiling": 3000, "fx": {}, "action": "ALERT"}
    assert terms.status_code == 200 and terms.json()["corridor"] == view.json()["corridor"], terms.text


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_scenario_corridor_raises_breaches_while_the_markets_are_apart_and_the_link_brings_both_inside(
        running_stack, tmp_path: Path) -> None:
    result = run_drill(running_stack.settings, SCENARIOS / "two-markets-corridor.yaml", out_dir=tmp_path / "drill",
                       quiet=True)

    assert result.audit_ok, json.dumps(result.summary, indent=1, default=str)
    alerts = result.summary["alerts_per_phase"]
    # in autarky A trades near 40 (above the ceiling of 30) and B near 10 (below the floor of 15): one breach each
    # at least (a noise trade back inside and out again is a new excursion); the link's first swings may cross too
    assert alerts["autarky"].get("CORRIDOR_BREACH", 0) >= 2
    assert {code for found in alerts.values() for code in found} == {"CORRIDOR_BREACH"}
    corridor = httpx.get(f"{running_stack.settings.order_entry_url}/v1/links/A-B/corridor", timeout=10).json()
    assert {(r["instrument"], r["breach"]) for r in corridor["readings"]} == {
        ("A-ALW-2025", None), ("B-ALW-2025", None)}  # converged on about 20 by the drill's last trade


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_honest_pilot_city_drill_raises_no_alert(running_stack, tmp_path: Path) -> None:
    result = run_drill(running_stack.settings, SCENARIOS / "pilot-cities.yaml", out_dir=tmp_path / "drill", quiet=True)

    assert result.audit_ok, json.dumps(result.summary, indent=1, default=str)
    assert result.summary["alerts_per_phase"] == {phase: {} for phase in result.summary["alerts_per_phase"]}
    assert len(result.summary["alerts_per_phase"]) == 5
