"""The drill end to end on the running stack: the two-market scenario reaches its analytical equilibrium,
a malformed scenario is refused before anything is created, and a run an operator call breaks still reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from carbonlink.drill import phase_events
from carbonlink.drill.runner import DrillAborted, run_drill
from carbonlink.drill.scenario import ScenarioError
from carbonlink.drill.setup_plan import ApiCall
from tests.stacks import private_stack

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_market_drill_prices_each_phase_within_ten_percent_of_equilibrium_at_ninety_percent_efficiency(
        running_stack, tmp_path: Path) -> None:
    result = run_drill(running_stack.settings, SCENARIOS / "two-markets.yaml", out_dir=tmp_path / "drill", quiet=True)

    assert result.audit_ok, json.dumps(result.summary, indent=1, default=str)
    for name in ("report.html", "summary.json", "trades.csv", "prices.csv", "prices.png"):
        assert (tmp_path / "drill" / name).exists()
    for phase in result.summary["phases"]:
        assert phase["efficiency"] >= 0.9, phase
        for registry, market in phase["markets"].items():
            assert market["simulated_price"] is not None, (phase["phase"], registry)
            assert abs(market["error_pct"]) <= 10, (phase["phase"], registry, market)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_same_scenario_and_seed_give_byte_identical_trades_on_an_idle_and_on_a_busy_machine(
        tmp_path: Path) -> None:
    scenario = tmp_path / "short.yaml"
    scenario.write_text((SCENARIOS / "two-markets-capped.yaml").read_text().replace("days_per_phase: 2",
                                                                                  "days_per_phase: 1"))
    outputs = []
    for run in ("idle", "busy"):
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)] if run == "busy" else []
        try:
            with private_stack(tmp_path / run / "var") as stack:
                result = run_drill(stack.settings, scenario, out_dir=tmp_path / run / "report", quiet=True)
        finally:
            for process in busy:
                process.kill()
                process.wait()
        assert result.audit_ok
        outputs.append(result)

    idle, busy = outputs
    assert (idle.out_dir / "trades.csv").read_bytes() == (busy.out_dir / "trades.csv").read_bytes()
    economics = ("trades", "busted_trades", "phases", "flows", "compliance")
    assert {k: idle.summary[k] for k in economics} == {k: busy.summary[k] for k in economics}
    assert all(b["trades"] == 0 for b in idle.summary["busted_trades"].values())


@pytest.mark.parametrize(("before", "after", "field"), [
    ("allocation: 9800", "allocation: -5", "traders[0].compliance.entities[0].allocation"),
    ("from: B\n    to: A", "from: B\n    to: NOWHERE", "linkages[0].to"),
    ("start_day: 2", "start_day: 1", "phases[1].start_day"),
])
def test_a_malformed_scenario_is_refused_before_anything_is_created(
        running_stack, tmp_path: Path, before: str, after: str, field: str) -> None:
    text = (SCENARIOS / "two-markets.yaml").read_text().replace("A-ALW-2025", "ZZ-ALW-2025")
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(before, after, 1))

    with pytest.raises(ScenarioError) as refused:
        run_drill(running_stack.settings, path, out_dir=tmp_path / "out", quiet=True)

    assert field in {problem.field for problem in refused.value.problems}
    listed = httpx.get(f"{running_stack.settings.order_entry_url}/v1/instruments", timeout=10).json()
    assert "ZZ-ALW-2025" not in {instrument["id"] for instrument in listed}
    assert not (tmp_path / "out").exists()


def test_an_operator_call_failing_mid_run_still_audits_and_writes_a_report_naming_it(
        running_stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused_allocations(*_args, **_kwargs) -> list[ApiCall]:
        return [ApiCall("POST", "/v1/admin/no-such-call", {})]

    monkeypatch.setattr(phase_events, "allocation_calls", refused_allocations)  # the second phase's first call fails
    with pytest.raises(DrillAborted) as aborted:
        run_drill(running_stack.settings, SCENARIOS / "two-markets.yaml", out_dir=tmp_path / "drill", quiet=True)

    summary = json.loads((tmp_path / "drill" / "summary.json").read_text())
    assert "/v1/admin/no-such-call" in summary["error"] and summary["error"] == aborted.value.result.summary["error"]
    assert summary["audit_ok"] is True
    assert "The drill stopped early" in (tmp_path / "drill" / "report.html").read_text()
