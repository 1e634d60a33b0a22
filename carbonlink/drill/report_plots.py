"""The drill report's pictures (PNG via matplotlib), each with the alt text the report gives it.

- Prices: one panel per market in its own currency, the settled trades as dots, each day's VWAP as a
  line and each phase's analytic equilibrium as a step line beside them — the picture that says whether
  the drill worked. Phase boundaries are dashed, phase names on top; panels share the day axis.
- Flows: one panel per link direction (so an uncapped link never dwarfs a capped one): units delivered
  per phase as bars, the phase's cap as a black bar edge marker and the benchmark flow as a dot.
- Volume and compliance cost per market as grouped bars.
Legends sit outside the data, below the panels; tick labels are rotated where they are long.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from carbonlink.drill.journal import DrillJournal  # noqa: E402
from carbonlink.drill.metrics import DrillMetrics, business_day, vwap  # noqa: E402
from carbonlink.drill.scenario import Scenario  # noqa: E402
from shared.money import minor_digits  # noqa: E402

__all__ = ["Plot", "plots"]

_COLUMNS = 3


@dataclass(frozen=True)
class Plot:
    name: str
    title: str
    alt: str
    png: bytes


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _grid(count: int, *, height: float) -> tuple[plt.Figure, list[plt.Axes]]:
    rows = max(1, math.ceil(count / _COLUMNS))
    columns = min(_COLUMNS, max(1, count))
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, height * rows), squeeze=False,
                                layout="constrained")
    flat = [axis for row in axes for axis in row]
    for axis in flat[count:]:
        axis.set_visible(False)
    return figure, flat[:count]


def _major(scenario: Scenario, instrument: str, minor: float) -> float:
    return minor / 10 ** minor_digits(scenario.instrument(instrument).currency)


def _price_plot(scenario: Scenario, journal: DrillJournal, metrics: DrillMetrics) -> bytes:
    markets = sorted({(registry, m.instrument) for p in metrics.phases for registry, m in p.markets.items()})
    figure, axes = _grid(len(markets), height=2.8)
    phase_days: dict[str, list[int]] = defaultdict(list)
    for day in journal.days:
        phase_days[day.phase].append(day.day)
    for axis, (registry, instrument) in zip(axes, markets):
        trades = [t for t in journal.trades if t.instrument == instrument and t.refused is None]
        axis.plot([business_day(journal, t.at) for t in trades], [_major(scenario, instrument, t.price) for t in trades],
                  ".", markersize=2, color="tab:blue", alpha=0.5, label="trades")
        daily = [(day.day + 0.5, vwap([t for t in trades if day.start <= t.at <= day.end])) for day in journal.days]
        axis.plot([x for x, y in daily if y is not None], [_major(scenario, instrument, y) for _, y in daily
                                                          if y is not None],
                  "-o", markersize=3, color="tab:blue", label="daily VWAP")
        for phase in metrics.phases:
            market = phase.markets.get(registry)
            days = phase_days.get(phase.phase)
            if market is None or not days:
                continue
            level = _major(scenario, instrument, market.benchmark_minor)
            axis.hlines(level, min(days), max(days) + 1, colors="tab:red", linewidth=2,
                        label="equilibrium" if phase is metrics.phases[0] else None)
        for phase in metrics.phases:
            days = phase_days.get(phase.phase)
            if days:
                axis.axvline(min(days), color="grey", linestyle="--", linewidth=0.7)
        axis.set_title(f"{registry} · {instrument} ({scenario.instrument(instrument).currency})", fontsize=9)
        axis.tick_params(labelsize=7)
        axis.set_xlabel("trading day", fontsize=8)
    if axes:
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8)
        figure.suptitle("Price per market (local currency per tonne) beside each phase's equilibrium "
                        f"(phases: {', '.join(p.phase for p in metrics.phases)})", fontsize=10)
    return _png(figure)


def _flow_plot(metrics: DrillMetrics) -> bytes:
    arcs = sorted({f.arc for f in metrics.flows})
    phases = [p.phase for p in metrics.phases]
    figure, axes = _grid(len(arcs), height=2.6)
    for axis, arc in zip(axes, arcs):
        rows = {f.phase: f for f in metrics.flows if f.arc == arc}
        xs = list(range(len(phases)))
        delivered = [rows[p].tonnes if p in rows else 0 for p in phases]
        axis.bar(xs, delivered, 0.6, color="tab:green", label="delivered (origin t)")
        caps = [(x, rows[p].cap) for x, p in zip(xs, phases) if p in rows and rows[p].cap is not None]
        axis.plot([x for x, _ in caps], [c for _, c in caps], "_", markersize=22, markeredgewidth=2.5, color="black",
                  label="cap (origin t)")
        bench = [(x, rows[p].benchmark) for x, p in zip(xs, phases) if p in rows]
        axis.plot([x for x, _ in bench], [b for _, b in bench], "o", color="tab:red", markersize=4, label="benchmark")
        axis.set_xticks(xs, phases, rotation=30, ha="right", fontsize=7)
        axis.tick_params(axis="y", labelsize=7)
        axis.set_title(arc, fontsize=9)
        axis.set_ylim(bottom=0)
    if axes:
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8)
        figure.suptitle("Cross-border flows per link direction (each panel its own scale)", fontsize=10)
    return _png(figure)


def _bars(title: str, ylabel: str, groups: list[str], series: dict[str, list[float]]) -> bytes:
    figure, axis = plt.subplots(figsize=(10, 3.6), layout="constrained")
    width = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series.items()):
        axis.bar([g + index * width for g in range(len(groups))], values, width, label=name)
    axis.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))], groups, fontsize=7, rotation=30, ha="right")
    axis.set_title(title, fontsize=10)
    axis.set_ylabel(ylabel)
    if series:
        figure.legend(loc="outside right upper", fontsize=7)
    return _png(figure)


def plots(scenario: Scenario, journal: DrillJournal, metrics: DrillMetrics) -> list[Plot]:
    phases = [p.phase for p in metrics.phases]
    registries = sorted({r for p in metrics.phases for r in p.markets})
    volume = {r: [float(p.markets[r].volume) if r in p.markets else 0.0 for p in metrics.phases] for r in registries}
    labels = [f"{p.phase}:{r}" for p in metrics.phases for r in sorted(p.markets)]
    cost = {"simulated": [p.markets[r].simulated_cost or 0.0 for p in metrics.phases for r in sorted(p.markets)],
            "benchmark": [p.markets[r].benchmark_cost for p in metrics.phases for r in sorted(p.markets)]}
    found = [
        Plot("prices.png", "Prices against the equilibrium",
             "One panel per market: settled trade prices and daily volume-weighted prices in local currency, with "
             "each phase's analytic equilibrium price drawn as a red step line", _price_plot(scenario, journal, metrics)),
    ]
    if metrics.flows:
        found.append(Plot("flows.png", "Cross-border flows and caps",
                          "One panel per link direction: units delivered per phase as bars, the phase's cap as a black "
                          "marker and the benchmark flow as a red dot", _flow_plot(metrics)))
    found += [
        Plot("volume.png", "Volume per market and phase", "Tonnes traded at home per market, grouped by phase",
             _bars("Volume per market and phase", "tonnes", phases, volume)),
        Plot("compliance_cost.png", "Compliance cost per market",
             "Compliance cost per market and phase, simulated beside the benchmark, in the reporting currency",
             _bars("Compliance cost per market", scenario.reporting_currency, labels, cost)),
    ]
    return found
