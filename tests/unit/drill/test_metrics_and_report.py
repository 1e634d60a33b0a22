"""Metrics and the report from a synthetic journal of the two-market scenario at its equilibrium."""

from __future__ import annotations

import json
from pathlib import Path

from carbonlink.drill.journal import DayRecord, DrillJournal, EntityOutcome, LinkEvent, TradeRecord
from carbonlink.drill.metrics import compute_metrics
from carbonlink.drill.report import write_report
from carbonlink.drill.scenario import load_scenario
from carbonlink.drill.setup_plan import roster

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def equilibrium_journal():
    scenario = load_scenario(SCENARIOS / "two-markets.yaml")
    members = roster(scenario)
    journal = DrillJournal("two-markets", 600)
    journal.days = [DayRecord("autarky", 0, 0, 1000), DayRecord("autarky", 1, 1000, 2000),
                    DayRecord("full-link", 2, 2000, 3000), DayRecord("full-link", 3, 3000, 4000)]
    journal.trades = [
        TradeRecord("a1", "A-ALW-2025", 4000, 10, 1500, "A/x", "A/y"),
        TradeRecord("b1", "B-ALW-2025", 1000, 10, 1600, "B/x", "B/y"),
        TradeRecord("f1", "B-ALW-2025", 2000, 1000, 3500, "A/A-ALW-2025-ce1", "B/B-ALW-2025-ce1"),
        TradeRecord("a2", "A-ALW-2025", 2000, 10, 3600, "A/x", "A/y"),
    ]
    journal.link_events = [LinkEvent("full-link", "A-B", "activate", "full", 2000)]
    for phase, a_position, b_position in (("autarky", 9600, 9800), ("full-link", 9800, 9600)):
        for member in members:
            if member.entity is not None:
                position = a_position if member.registry == "A" else b_position
                journal.outcomes.append(EntityOutcome(phase, member.id, member.account, member.registry, position))
    return scenario, members, journal


def test_at_the_equilibrium_prices_match_and_efficiency_is_full() -> None:
    scenario, members, journal = equilibrium_journal()
    metrics = compute_metrics(scenario, members, journal)
    autarky, full = metrics.phases
    assert autarky.markets["A"].simulated_minor == 4000 and autarky.markets["A"].error_pct == 0
    assert autarky.efficiency is None  # identical entities: nothing to gain within a market
    assert full.markets["B"].simulated_minor == 2000 and full.markets["B"].error_pct == 0
    assert abs(full.efficiency - 1) < 1e-9 and full.benchmark_gain == 15000
    flow = next(f for f in metrics.flows if f.arc == "A-B:B>A")
    assert (flow.tonnes, flow.benchmark) == (1000, 1000.0)


def test_the_report_writes_html_with_embedded_plots_and_the_data_files(tmp_path: Path) -> None:
    scenario, members, journal = equilibrium_journal()
    data = write_report(tmp_path, scenario, journal, compute_metrics(scenario, members, journal))
    page = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in page and "Analytical benchmark" in page
    assert json.loads((tmp_path / "summary.json").read_text())["trades"] == 4 == data["trades"]
    assert (tmp_path / "prices.png").read_bytes().startswith(b"\x89PNG")
    assert len((tmp_path / "trades.csv").read_text().splitlines()) == 5
