"""The drill report: ``report.html`` (self-contained, plots embedded as base64 PNG), the PNG plots,
``summary.json``, ``trades.csv`` and ``prices.csv`` (per market and trading day: VWAP, close, volume).

Pictures: see :mod:`carbonlink.drill.report_plots`.
"""

from __future__ import annotations

import base64
import csv
import html
import json
from pathlib import Path
from typing import Any

from carbonlink.drill.journal import DrillJournal
from carbonlink.drill.metrics import DrillMetrics, business_day, vwap
from carbonlink.drill.report_plots import Plot, plots
from carbonlink.drill.scenario import Scenario
from shared.money import minor_digits

__all__ = ["summary", "write_report"]


def _major(scenario: Scenario, instrument: str, minor: float | None) -> float | None:
    if minor is None:
        return None
    return minor / 10 ** minor_digits(scenario.instrument(instrument).currency)


def summary(scenario: Scenario, journal: DrillJournal, metrics: DrillMetrics) -> dict[str, Any]:
    """Everything the report states, as JSON-able data."""
    return {
        "scenario": scenario.name,
        "speed": journal.speed,
        "wall_seconds": round(journal.wall_seconds, 1),
        "interrupted": journal.interrupted,
        "reporting_currency": scenario.reporting_currency,
        "orders": journal.orders,
        "trades": len(journal.trades),
        "failed_trades": len(journal.failed_trades),
        "busted_trades": {phase.phase: {"trades": phase.busted, "tonnes": phase.busted_tonnes}
                          for phase in metrics.phases},
        "refusals": dict(journal.refusals),
        "audit_ok": None if journal.audit is None else journal.audit.get("ok"),
        "error": journal.error,
        "quota_counted_before_the_drill": {arc: n for arc, n in journal.quota_at_start.items() if n},
        "phases": [
            {
                "phase": phase.phase,
                "efficiency": phase.efficiency,
                "benchmark_notes": list(phase.notes),
                "realised_gain": phase.realised_gain,
                "benchmark_gain": phase.benchmark_gain,
                "markets": {
                    registry: {
                        "instrument": m.instrument,
                        "benchmark_price": _major(scenario, m.instrument, m.benchmark_minor),
                        "simulated_price": _major(scenario, m.instrument, m.simulated_minor),
                        "price_basis": m.price_basis,
                        "error_pct": m.error_pct,
                        "unconstrained_price": _major(scenario, m.instrument, m.unconstrained_minor),
                        "unconstrained_error_pct": m.unconstrained_error_pct,
                        "band_reach": None if m.band_reach is None else [
                            _major(scenario, m.instrument, edge) for edge in m.band_reach],
                        "band_limited": m.band_limited,
                        "volume": m.volume,
                        "trades": m.trades,
                        "benchmark_compliance_cost": m.benchmark_cost,
                        "simulated_compliance_cost": m.simulated_cost,
                    }
                    for registry, m in phase.markets.items()
                },
                "convergence": {pair: {"simulated_ratio": s, "benchmark_ratio": b}
                                for pair, (s, b) in phase.convergence.items()},
            }
            for phase in metrics.phases
        ],
        "flows": [
            {"phase": f.phase, "arc": f.arc, "tonnes": f.tonnes, "credited": f.credited, "cap": f.cap,
             "bridge_counted": f.counted, "credited_cap": f.credited_cap, "utilisation": f.utilisation,
             "benchmark": f.benchmark, "banded_benchmark": f.banded, "cap_binds": f.binds,
             "busted_tonnes": f.busted_tonnes}
            for f in metrics.flows
        ],
        "suspension_gaps": metrics.suspension_gaps,
        "link_events": [vars(event) for event in journal.link_events],
        "compliance": journal.compliance,
    }


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _html(scenario: Scenario, data: dict[str, Any], pictures: list[Plot]) -> str:
    rows = []
    for phase in data["phases"]:
        for registry, m in phase["markets"].items():
            rows.append(
                f"<tr><td>{html.escape(phase['phase'])}</td><td>{html.escape(registry)}</td>"
                f"<td>{html.escape(m['instrument'])}</td><td>{_fmt(m['benchmark_price'])}</td>"
                f"<td>{_fmt(m['simulated_price'])}{_basis(m['price_basis'])}</td>"
                f"<td>{_fmt(m['error_pct'], 1)}</td><td>{_fmt(m['unconstrained_price'])}</td>"
                f"<td>{_fmt(m['unconstrained_error_pct'], 1)}</td>"
                f"<td>{_reach(m)}</td><td>{m['volume']}</td>"
                f"<td>{_fmt(m['benchmark_compliance_cost'], 0)}</td><td>{_fmt(m['simulated_compliance_cost'], 0)}</td></tr>")
    efficiency = "".join(
        f"<tr><td>{html.escape(p['phase'])}</td><td>{_fmt(None if p['efficiency'] is None else p['efficiency'] * 100, 1)}</td>"
        f"<td>{_fmt(p['realised_gain'], 0)}</td><td>{_fmt(p['benchmark_gain'], 0)}</td></tr>" for p in data["phases"])
    flows = "".join(
        f"<tr><td>{html.escape(f['phase'])}</td><td>{html.escape(f['arc'])}</td><td>{f['tonnes']}</td>"
        f"<td>{f['credited']}</td><td>{_fmt(f['cap'], 0)}</td>"
        f"<td>{'n/a' if f['bridge_counted'] is None else f['bridge_counted']}</td><td>{_fmt(f['credited_cap'], 0)}</td>"
        f"<td>{_fmt(None if f['utilisation'] is None else f['utilisation'] * 100, 1)}</td>"
        f"<td>{_fmt(f['benchmark'], 0)}</td><td>{_fmt(f['banded_benchmark'], 0)}</td><td>{_binds(f)}</td>"
        f"<td>{f['busted_tonnes']}</td></tr>" for f in data["flows"])
    gaps = "".join(_gap(gap) for gap in data["suspension_gaps"]) or "<li>none</li>"
    notes = "".join(f"<li>{html.escape(p['phase'])}: {html.escape(note)}</li>"
                    for p in data["phases"] for note in p["benchmark_notes"])
    error = (f'<p style="color:#b00"><b>The drill stopped early:</b> {html.escape(data["error"])}</p>'
             if data["error"] else "")
    if data["quota_counted_before_the_drill"]:
        error += ("<p><b>The bridge had already counted units on these links this period (an earlier drill on "
                  f"this stack), so their caps were partly used:</b> "
                  f"{html.escape(json.dumps(data['quota_counted_before_the_drill']))}</p>")
    images = "".join(
        f'<figure><figcaption>{html.escape(plot.title)}</figcaption><img alt="{html.escape(plot.alt)}" '
        f'style="max-width:100%" src="data:image/png;base64,{base64.b64encode(plot.png).decode()}"/></figure>'
        for plot in pictures)
    audit = {None: "not run", True: "passed", False: "FAILED"}[data["audit_ok"]]
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Drill {html.escape(scenario.name)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:3px 8px;text-align:right}}</style></head><body>
<h1>Drill report: {html.escape(scenario.name)}</h1>{error}
<p>{data['wall_seconds']} s wall clock{' (interrupted)' if data['interrupted'] else ''};
{data['trades']} trades, {data['failed_trades']} busted (matched, then refused by the bridge:
{html.escape(json.dumps({p: b['trades'] for p, b in data['busted_trades'].items() if b['trades']}))}); audit {audit}.
Refusals: {html.escape(json.dumps(data['refusals']))}.</p>
<h2>Analytical benchmark</h2><p>Prices in local currency; the equilibrium of each phase starts from the units
the markets held when it began; simulated = volume-weighted price of the phase's second half over the market's
home trades and what its accounts paid per credited tonne abroad (imports, over links whose cap does not bind) together, busted trades left out;
with neither, its last home trade; band reach = the prices a daily band lets the market reach in the phase from the close before it;
equilibrium = the band-constrained equilibrium, which the error is against: a market whose units cannot reach their price
(an exporter, or a market on its own) is held at the bound, abates as at it, and the linked markets clear around what it holds back;
a net importer follows the linked price, since its imports trade on the origin's book; <b>band-limited</b> = held, or its
equilibrium lies outside its reach all the same;
unconstrained = the equilibrium without bands, for reference (the efficiency and the benchmark costs are against it);
costs in {html.escape(scenario.reporting_currency)}.</p>
<table><tr><th>phase</th><th>market</th><th>instrument</th><th>equilibrium</th><th>simulated</th><th>error %</th>
<th>unconstrained</th><th>error % (unconstrained)</th><th>band reach</th><th>volume</th><th>cost (benchmark)</th><th>cost (simulated)</th></tr>{''.join(rows)}</table>
<p>Limits the benchmark only approximates:</p><ul>{notes or "<li>none</li>"}</ul>
<h2>Allocative efficiency</h2><table><tr><th>phase</th><th>efficiency %</th><th>realised gain</th>
<th>benchmark gain</th></tr>{efficiency}</table>
<h2>Cross-border flows and quota utilisation</h2><p>Tonnes delivered across the border (origin units) and
their credited equivalent from the drill's settled trades; busted tonnes (matched, then refused) apart; the
bridge's own counter of units delivered in the phase; utilisation = bridge counter / cap in credited units;
benchmark = the unconstrained equilibrium's flow, and beside it the band-constrained equilibrium's, against which
a cap <b>binds</b> or not: a cap it does not reach (a market held at its band wants less) is no target.</p>
<table><tr><th>phase</th><th>arc</th><th>tonnes delivered</th>
<th>credited</th><th>cap (origin t)</th><th>bridge counted</th><th>cap (credited)</th><th>utilisation %</th>
<th>benchmark</th><th>benchmark (band-constrained)</th><th>cap binds</th><th>busted t</th></tr>{flows}</table>
<h2>Delink shock: each suspension</h2><ul>{gaps}</ul>
<h2>Pictures</h2>{images}</body></html>"""


def _basis(basis: str) -> str:
    return f" ({html.escape(basis)})" if basis else ""


def _reach(market: dict[str, Any]) -> str:
    if market["band_reach"] is None:
        return "no band"
    low, high = market["band_reach"]
    flag = " <b>band-limited</b>" if market["band_limited"] else ""
    return f"{_fmt(low)}–{_fmt(high)}{flag}"


def _binds(flow: dict[str, Any]) -> str:
    if flow["cap_binds"] is None:
        return "uncapped" if flow["cap"] is None else "n/a"
    return "<b>binds</b>" if flow["cap_binds"] else "does not bind"


def _yes(flag: bool | None) -> str:
    return "n/a" if flag is None else "yes" if flag else "no"


def _gap(gap: dict[str, Any]) -> str:
    net = ", ".join(f"{arc}: {tonnes} t" for arc, tonnes in gap["net_flows"].items()) or "nothing had crossed"
    prices = "".join(
        f"<li>{html.escape(registry)}: {_fmt(p['before_minor'], 0)} → {_fmt(p['after_minor'], 0)} "
        f"(autarky {_fmt(p['autarky_minor'], 0)}, the phase's equilibrium {_fmt(p['equilibrium_minor'], 0)}; "
        f"minor units) — towards autarky: {_yes(p['towards_autarky'])}, towards the equilibrium: "
        f"{_yes(p['towards_equilibrium'])}</li>"
        for registry, p in gap["prices"].items())
    return (f"<li><b>{html.escape(gap['linkage'])}</b> suspended in phase {html.escape(gap['phase'])}: "
            f"net flow standing {html.escape(net)}; foreign orders resting {gap['resting_foreign_orders']}, "
            f"cancelled {gap['cancelled_orders']} (states after the suspension: "
            f"{html.escape(json.dumps(gap['their_final_states']))}).<ul>{prices}</ul></li>")


def _trader(journal: DrillJournal, account: str) -> str:
    """An account as the scenario names its trader: ``{registry}/{member}``, without this run's tag."""
    registry, _, name = account.partition("/")
    return f"{registry}/{name.removeprefix(journal.tag)}"


def _write_csvs(out: Path, scenario: Scenario, journal: DrillJournal) -> None:
    with (out / "trades.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["trade_id", "instrument", "price", "quantity", "at_ms", "trading_day", "buyer",
                         "seller", "refused"])
        for t in journal.trades:
            writer.writerow([t.trade_id, t.instrument, _major(scenario, t.instrument, t.price), t.quantity, t.at,
                             f"{business_day(journal, t.at):.4f}", _trader(journal, t.buy_account),
                             _trader(journal, t.sell_account), t.refused or ""])
    with (out / "prices.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["phase", "day", "instrument", "vwap", "close", "volume", "trades"])
        for day in journal.days:
            for instrument in scenario.instruments:
                trades = [t for t in journal.trades if t.instrument == instrument.id and t.refused is None
                          and day.start <= t.at <= day.end]
                writer.writerow([day.phase, day.day, instrument.id, _major(scenario, instrument.id, vwap(trades)),
                                 _major(scenario, instrument.id, trades[-1].price if trades else None),
                                 sum(t.quantity for t in trades), len(trades)])


def write_report(out: Path, scenario: Scenario, journal: DrillJournal, metrics: DrillMetrics) -> dict[str, Any]:
    """Write every report file into ``out``; returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    data = summary(scenario, journal, metrics)
    pictures = plots(scenario, journal, metrics) if journal.days else []
    for plot in pictures:
        (out / plot.name).write_bytes(plot.png)
    _write_csvs(out, scenario, journal)
    (out / "summary.json").write_text(json.dumps(data, indent=2, default=str))
    (out / "report.html").write_text(_html(scenario, data, pictures))
    return data
