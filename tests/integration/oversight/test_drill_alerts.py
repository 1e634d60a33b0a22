"""Oversight in drills: a manipulator's every act raises its alert within the phase it happens, and the
honest pilot-city drill raises none (no false positives)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carbonlink.drill.runner import run_drill

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


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_honest_pilot_city_drill_raises_no_alert(running_stack, tmp_path: Path) -> None:
    result = run_drill(running_stack.settings, SCENARIOS / "pilot-cities.yaml", out_dir=tmp_path / "drill", quiet=True)

    assert result.audit_ok, json.dumps(result.summary, indent=1, default=str)
    assert result.summary["alerts_per_phase"] == {phase: {} for phase in result.summary["alerts_per_phase"]}
    assert len(result.summary["alerts_per_phase"]) == 5
