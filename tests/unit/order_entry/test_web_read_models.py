"""The dashboard's read models without a browser or servers: market summary figures, display fx rates, and the
drill report files it may serve."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from services.order_entry.web.fx import fx_view
from services.order_entry.web.market_summary import summarise
from services.order_entry.web.reports import list_reports, resolve_inside


def trade(price: int, quantity: int, at: int) -> dict:
    return {"trade_id": f"T{at}", "price": price, "quantity": quantity, "at": at}


def test_a_market_without_trades_has_no_last_price_and_its_band_around_the_reference() -> None:
    figures = summarise(reference=5_000, band=Fraction(1, 10), trades_newest_first=[])
    assert (figures.last, figures.change, figures.volume, figures.trades) == (None, None, 0, 0)
    assert figures.band == (4_500, 5_500)


def test_the_last_price_is_the_newest_trade_and_the_change_is_against_the_reference() -> None:
    figures = summarise(reference=5_000, band=None, trades_newest_first=[trade(5_040, 30, 2), trade(4_990, 70, 1)])
    assert (figures.last, figures.last_at, figures.change, figures.change_bps) == (5_040, 2, 40, 80)
    assert (figures.volume, figures.trades, figures.band) == (100, 2, None)


@settings(max_examples=60, deadline=None)
@given(reference=st.integers(1, 10**9), last=st.integers(1, 10**9))
def test_the_change_in_basis_points_rounds_toward_zero(reference: int, last: int) -> None:
    bps = summarise(reference=reference, band=None, trades_newest_first=[trade(last, 1, 0)]).change_bps
    exact = Fraction((last - reference) * 10_000, reference)
    assert abs(bps) <= abs(exact) < abs(bps) + 1


def test_fx_rates_default_to_one_to_one_and_bad_stored_rates_are_ignored() -> None:
    assert fx_view({}, {"CNY", "KRW"}).model_dump() == {
        "reporting_currency": None, "rates": {"CNY": "1", "KRW": "1"}, "loaded": False}
    view = fx_view({"reporting_currency": "CNY", "JPY": "0.048", "KRW": "nonsense", "EUR": "-2"}, {"CNY", "JPY"})
    assert view.reporting_currency == "CNY"
    assert view.rates == {"CNY": "1", "EUR": "1", "JPY": "6/125", "KRW": "1"}


def test_reports_are_listed_newest_first_with_their_audit_result(tmp_path: Path) -> None:
    for name, audit_ok in (("old", False), ("phase/new", True)):
        run = tmp_path / name
        run.mkdir(parents=True)
        (run / "report.html").write_text("<h1>report</h1>")
        (run / "summary.json").write_text(json.dumps({"audit_ok": audit_ok, "trades": 3}))
    (tmp_path / "no-report").mkdir()
    old = tmp_path / "old" / "report.html"
    os.utime(old, (1, 1))
    listed = list_reports({"var": tmp_path, "local": tmp_path / "missing"})
    assert [(r.run, r.url, r.audit_ok) for r in listed] == [
        ("phase/new", "/reports/var/phase/new/report.html", True), ("old", "/reports/var/old/report.html", False)]


def test_only_files_inside_the_reports_directory_are_served(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    (root / "run").mkdir(parents=True)
    (root / "run" / "report.html").write_text("ok")
    (tmp_path / "secret.txt").write_text("no")
    assert resolve_inside(root, "run/report.html") == (root / "run" / "report.html").resolve()
    for escape in ("../secret.txt", "run/../../secret.txt", str(tmp_path / "secret.txt"), "run", "a\0b", "x" * 5000):
        assert resolve_inside(root, escape) is None
