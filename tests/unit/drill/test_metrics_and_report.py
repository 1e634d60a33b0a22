"""Metrics and the report from a synthetic journal of the two-market scenario at its equilibrium."""

from __future__ import annotations

import json
from pathlib import Path

from carbonlink.drill.journal import DayRecord, DrillJournal, EntityOutcome, LinkEvent, TradeRecord
from carbonlink.drill.metrics import compute_metrics
from carbonlink.drill.report import write_report
from carbonlink.drill.scenario import load_scenario, parse_scenario
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
    assert abs(autarky.efficiency - 1) < 1e-9  # at 40.00 every entity abates 400 t, whatever its allocation
    assert full.markets["B"].simulated_minor == 2000 and full.markets["B"].error_pct == 0
    assert abs(full.efficiency - 1) < 1e-9 and full.benchmark_gain == 20625  # 50,625 with no trade, 30,000 linked
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


def test_quota_utilisation_is_the_bridge_counter_s_rise_in_the_phase_over_the_credited_cap() -> None:
    scenario = load_scenario(SCENARIOS / "two-markets-capped.yaml")
    members = roster(scenario)
    journal = DrillJournal("two-markets-capped", 600)
    journal.days = [DayRecord("autarky", 0, 0, 1000), DayRecord("capped-link", 2, 1000, 2000)]
    journal.quota_at_start = {"A-B:B>A": 100}  # an earlier drill's
    journal.quota_counted = {"autarky": {"A-B:B>A": 100}, "capped-link": {"A-B:B>A": 500}}
    flows = {f.arc: f for f in compute_metrics(scenario, members, journal).flows}
    assert (flows["A-B:B>A"].counted, flows["A-B:B>A"].credited_cap, flows["A-B:B>A"].utilisation) == (400, 500, 0.8)
    assert flows["A-B:A>B"].utilisation == 0


def delink_journal():
    scenario = parse_scenario((SCENARIOS / "two-markets.yaml").read_text().replace(
        "      A-B: full\n\ntraders:", "      A-B: full\n  - name: delink\n    start_day: 4\n    links:\n"
        "      A-B: suspended\n\ntraders:", 1))
    journal = DrillJournal("two-markets", 600)
    journal.days = [DayRecord(phase, day, day * 1000, day * 1000 + 1000)
                    for phase, day in (("autarky", 0), ("autarky", 1), ("full-link", 2), ("full-link", 3),
                                       ("delink", 4), ("delink", 5))]
    journal.trades = [
        TradeRecord("f1", "B-ALW-2025", 2000, 700, 3500, "A/A-ALW-2025-ce1", "B/B-ALW-2025-ce1"),
        TradeRecord("a1", "A-ALW-2025", 2000, 10, 3600, "A/x", "A/y"),
        TradeRecord("a2", "A-ALW-2025", 3500, 10, 5600, "A/x", "A/y"),
        TradeRecord("b2", "B-ALW-2025", 1200, 10, 5700, "B/x", "B/y"),
    ]
    journal.link_events = [LinkEvent("delink", "A-B", "suspend", "suspended", 4300, resting_foreign=3, cancelled=3)]
    return scenario, roster(scenario), journal


def test_a_suspension_reports_the_net_flow_the_cancelled_orders_and_prices_back_towards_autarky() -> None:
    scenario, members, journal = delink_journal()
    [gap] = compute_metrics(scenario, members, journal).suspension_gaps
    assert gap["net_flows"] == {"B>A": 700}
    assert (gap["resting_foreign_orders"], gap["cancelled_orders"]) == (3, 3)
    assert gap["prices"]["A"] == {"before_minor": 2000, "after_minor": 3500, "autarky_minor": 4000,
                                  "towards_autarky": True, "equilibrium_minor": 4000, "towards_equilibrium": True}
    assert gap["prices"]["B"]["towards_autarky"] is True


def test_a_run_stopped_by_an_error_still_reports_it(tmp_path: Path) -> None:
    scenario, members, journal = equilibrium_journal()
    journal.error = "SetupError: POST /v1/admin/links refused (503)"
    data = write_report(tmp_path, scenario, journal, compute_metrics(scenario, members, journal))
    assert data["error"] == journal.error
    assert "The drill stopped early" in (tmp_path / "report.html").read_text()


def test_an_equilibrium_a_daily_band_cannot_reach_in_the_phase_is_flagged() -> None:
    _, members, journal = equilibrium_journal()
    banded = parse_scenario((SCENARIOS / "two-markets.yaml").read_text().replace("band: null", 'band: "0.10"', 1))
    full = compute_metrics(banded, members, journal).phases[1]
    low, high = full.markets["A"].band_reach
    assert (round(low), round(high)) == (3240, 4840)  # two days of ±10% from the 40.00 close before the link
    assert full.markets["A"].band_limited and full.markets["B"].band_reach is None
    # A is the importer: its band limits its home book, not what its buyers pay abroad, so it is not held.
    assert full.markets["A"].benchmark_minor == full.markets["A"].unconstrained_minor == 2000


def test_an_exporter_held_at_its_band_is_the_benchmark_and_the_importer_clears_around_it() -> None:
    _, members, journal = equilibrium_journal()
    text = (SCENARIOS / "two-markets.yaml").read_text()
    at = text.index("band: null", text.index("band: null") + 1)
    banded = parse_scenario(text[:at] + 'band: "0.10"' + text[at + len("band: null"):])
    full = compute_metrics(banded, members, journal).phases[1]
    a, b = full.markets["A"], full.markets["B"]
    # B (S = 1, R = 10) can rise only to 12.10 in two days: it exports 2.1; A (S = 1/2, R = 20) abates 17.9.
    assert (round(b.benchmark_minor), round(a.benchmark_minor)) == (1210, 3580)
    assert b.band_limited and not a.band_limited
    assert (a.unconstrained_minor, b.unconstrained_minor, a.unconstrained_error_pct) == (2000, 2000, 0)
    assert round(a.error_pct, 1) == -44.1  # simulated 20.00 against 35.80


def test_a_cap_the_band_constrained_equilibrium_does_not_reach_is_reported_as_not_binding() -> None:
    _, members, journal = equilibrium_journal()
    text = (SCENARIOS / "two-markets.yaml").read_text().replace(
        "A-B: full", "A-B: {state: restricted, caps: {per_period: 500}}")
    at = text.index("band: null", text.index("band: null") + 1)
    banded = parse_scenario(text[:at] + 'band: "0.10"' + text[at + len("band: null"):])
    flow = next(f for f in compute_metrics(banded, members, journal).flows if f.arc == "A-B:B>A")
    # unconstrained, 500 t would cross (the cap binds); B held at its band's 12.10 exports only 210 t
    assert (flow.benchmark, round(flow.banded), flow.binds) == (500.0, 210, False)
    unbanded = parse_scenario(text)
    flow = next(f for f in compute_metrics(unbanded, members, journal).flows if f.arc == "A-B:B>A")
    assert (flow.banded, flow.binds) == (500.0, True)


def test_the_report_says_whether_a_per_account_cap_binds_and_what_it_costs_the_benchmark() -> None:
    _, members, journal = equilibrium_journal()

    def notes(caps: str) -> list[str]:
        text = (SCENARIOS / "two-markets.yaml").read_text().replace(
            "A-B: full", f"A-B: {{state: restricted, caps: {caps}}}")
        return [n for n in compute_metrics(parse_scenario(text), members, journal).phases[1].notes
                if n.startswith("A-B:B>A: the per-account")]

    # 5 importing entities × 100 t leave 500 t of the 1,000 t the link would carry
    tight, = notes("{per_period: 2000, per_account: 100}")
    assert "leaves 500 t, the tightest of its caps" in tight and "carry 1,000 t instead of 500 t" in tight
    loose, = notes("{per_period: 400, per_account: 1000}")
    assert "leaves 5,000 t; the link's other caps leave 400 t, so it does not bind" in loose


def test_a_market_that_stopped_trading_in_the_second_half_is_priced_at_its_last_trade() -> None:
    scenario, members, journal = equilibrium_journal()
    journal.trades.append(TradeRecord("a0", "A-ALW-2025", 2100, 10, 2100, "A/x", "A/y"))
    journal.trades = [t for t in journal.trades if t.trade_id not in ("a2", "f1")]  # A quiet after the middle
    market = compute_metrics(scenario, members, journal).phases[1].markets["A"]
    assert (market.simulated_minor, market.price_basis, round(market.error_pct)) == (2100, "last trade", 5)


def test_trades_between_two_dealers_do_not_set_a_market_s_price() -> None:
    scenario, members, journal = equilibrium_journal()
    journal.trades.append(TradeRecord("a3", "A-ALW-2025", 3000, 500, 3700, "A/A-ALW-2025-nz1", "A/A-ALW-2025-mm1"))
    with_dealers = compute_metrics(scenario, members, journal).phases[1].markets["A"]
    journal.trades[-1] = TradeRecord("a3", "A-ALW-2025", 3000, 500, 3700, "A/A-ALW-2025-ce2", "A/A-ALW-2025-mm1")
    with_an_entity = compute_metrics(scenario, members, journal).phases[1].markets["A"]
    assert with_dealers.simulated_minor == 2000 < with_an_entity.simulated_minor


def test_a_market_whose_buyers_only_imported_in_the_second_half_is_priced_at_what_they_paid_per_credit() -> None:
    scenario, members, journal = equilibrium_journal()
    journal.trades = [t for t in journal.trades if t.trade_id != "a2"]  # A's book is quiet; f1 is A importing
    market = compute_metrics(scenario, members, journal).phases[1].markets["A"]
    assert (market.simulated_minor, market.price_basis) == (2000, "imports")


def test_what_crossed_before_an_intraday_suspension_counts_as_given_in_the_phase_s_benchmark() -> None:
    scenario, members, journal = delink_journal()
    journal.starts = [EntityOutcome("delink", m.id, m.account, m.registry, m.entity.allocation)
                      for m in members if m.entity is not None]
    before = compute_metrics(scenario, members, journal).phases[2]
    journal.trades.append(TradeRecord("d1", "B-ALW-2025", 2000, 200, 4100, "A/A-ALW-2025-ce1", "B/B-ALW-2025-ce1"))
    after = compute_metrics(scenario, members, journal).phases[2]
    a, b = (next(m for m in before.markets.values() if m.registry == r) for r in "AB")
    responsiveness = {r: sum(1 / m.entity.slope for m in members if m.entity is not None and m.registry == r)
                      for r in "AB"}
    # 200 t left B for A before the link closed: A needs 200 t less, B 200 t more (slopes in major units)
    assert round(after.markets["A"].benchmark_minor - a.benchmark_minor, 6) == round(-200 / responsiveness["A"] * 100, 6)
    assert round(after.markets["B"].benchmark_minor - b.benchmark_minor, 6) == round(200 / responsiveness["B"] * 100, 6)
    assert any("200 t crossed before the suspension" in note for note in after.notes)


def test_imports_from_an_exporter_its_band_holds_down_do_not_set_the_importer_s_price() -> None:
    _, members, journal = equilibrium_journal()
    text = (SCENARIOS / "two-markets.yaml").read_text()
    at = text.index("band: null", text.index("band: null") + 1)
    banded = parse_scenario(text[:at] + 'band: "0.10"' + text[at + len("band: null"):])
    journal.trades[-1] = TradeRecord("a2", "A-ALW-2025", 3000, 10, 3600, "A/x", "A/y")
    # B is held at 12.10, below its free 20.00: A's buyers who got B's units kept the band's rent (f1 at 20.00)
    market = compute_metrics(banded, members, journal).phases[1].markets["A"]
    assert (market.simulated_minor, market.price_basis) == (3000, "home")
    free = compute_metrics(parse_scenario(text), members, journal).phases[1].markets["A"]
    assert free.price_basis == "home and imports" and free.simulated_minor < 2100
