"""The drill report in headless Chromium: every picture is there, painted, sized and described."""

from __future__ import annotations

from pathlib import Path

from carbonlink.drill.journal import DayRecord, DrillJournal, EntityOutcome, LinkEvent, TradeRecord
from carbonlink.drill.metrics import compute_metrics
from carbonlink.drill.report import write_report
from carbonlink.drill.scenario import load_scenario
from carbonlink.drill.setup_plan import roster

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
DAY = 86_400_000


def capped_drill_journal():
    """Two days of autarky, two of a 500 t capped link; the cap used in full and one trade busted."""
    scenario = load_scenario(SCENARIOS / "two-markets-capped.yaml")
    members = roster(scenario)
    journal = DrillJournal("two-markets-capped", 0)
    journal.days = [DayRecord("autarky" if d < 2 else "capped-link", d, d * DAY, d * DAY + 7_200_000) for d in range(4)]
    for d in range(4):
        for k in range(24):
            at = d * DAY + k * 300_000
            a, b = (4_000, 1_000) if d < 2 else (3_000, 1_500)
            journal.trades += [TradeRecord(f"A:T{d}{k}", "A-ALW-2025", a + (k % 5 - 2) * 20, 10, at, "A/x", "A/y"),
                               TradeRecord(f"B:T{d}{k}", "B-ALW-2025", b + (k % 5 - 2) * 10, 10, at, "B/x", "B/y")]
    journal.trades += [TradeRecord("B:X1", "B-ALW-2025", 1_500, 500, 3 * DAY, "A/A-ALW-2025-ce1", "B/B-ALW-2025-ce1"),
                       TradeRecord("B:X2", "B-ALW-2025", 1_500, 40, 3 * DAY + 1, "A/A-ALW-2025-ce2", "B/B-ALW-2025-ce2",
                                   refused="3101")]
    journal.link_events = [LinkEvent("capped-link", "A-B", "activate", "restricted", 2 * DAY)]
    journal.quota_counted = {"autarky": {}, "capped-link": {"A-B:B>A": 500}}
    for phase in ("autarky", "capped-link"):
        for member in members:
            if member.entity is not None:
                journal.outcomes.append(EntityOutcome(phase, member.id, member.account, member.registry,
                                                      member.entity.allocation))
    return scenario, members, journal


async def test_the_report_shows_every_picture_painted_sized_and_with_alt_text(tab, tmp_path: Path,
                                                                               artifacts: Path) -> None:
    scenario, members, journal = capped_drill_journal()
    write_report(tmp_path, scenario, journal, compute_metrics(scenario, members, journal))

    await tab.goto((tmp_path / "report.html").as_uri())
    pictures = await tab.eval_on_selector_all("figure img", """images => images.map(image => ({
        alt: image.alt, complete: image.complete, natural: image.naturalWidth,
        width: image.getBoundingClientRect().width, height: image.getBoundingClientRect().height}))""")
    captions = await tab.eval_on_selector_all("figure figcaption", "captions => captions.map(c => c.textContent)")
    await tab.screenshot(path=str(artifacts / "drill_report.png"), full_page=True)

    assert captions == ["Prices against the equilibrium", "Cross-border flows and caps",
                        "Volume per market and phase", "Compliance cost per market"]
    for picture in pictures:
        assert picture["complete"] and picture["natural"] > 300, picture
        assert picture["width"] >= 300 and picture["height"] >= 150, picture
        assert len(picture["alt"]) > 40, picture
    assert "equilibrium" in pictures[0]["alt"] and "cap" in pictures[1]["alt"]
    assert "band-constrained" in pictures[1]["alt"] and "not drawn: A-B:A>B" in pictures[1]["alt"]
    assert await tab.locator("td", has_text="binds").count() >= 1
    assert await tab.locator("text=busted").count() >= 1
