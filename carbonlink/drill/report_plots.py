"""The drill report's pictures (PNG via matplotlib), each with the alt text the report gives it.

- Prices: one panel per market in its own currency, the settled trades as dots, each day's VWAP as a
  line and each phase's analytic equilibrium as a step line beside them — the picture that says whether
  the drill worked. Phase boundaries are dashed, phase names on top; panels share the day axis.
- Flows: one panel per link direction (so an uncapped link never dwarfs a capped one): units delivered
  per phase as bars, the phase's cap as a black bar edge marker and the benchmark flow as a dot.
  A cap far above every flow of its panel would flatten the bars: the axis stops above the flows and such a
  cap is an arrow at the top edge with its value written. Directions nothing crossed in any phase, in the drill
  or its benchmark, are named in the title instead of drawn.
- Compliance cost: one panel per market, simulated beside the benchmark per phase.
- Volume per market as grouped bars.
Legends sit outside the data, below the panels; tick labels are rotated where they are long.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.ticker  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from carbonlink.drill.journal import DrillJournal  # noqa: E402
from carbonlink.drill.metrics import DrillMetrics, business_day, vwap  # noqa: E402
from carbonlink.drill.scenario import Scenario  # noqa: E402
from shared.money import minor_digits  # noqa: E402

__all__ = ["Plot", "plots"]

_COLUMNS = 3
_THOUSANDS = matplotlib.ticker.StrMethodFormatter("{x:,.0f}")


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


def _quiet_arcs(metrics: DrillMetrics) -> list[str]:
    """Link directions nothing crossed in any phase, in the drill or its benchmark (left out of the picture)."""
    return sorted({f.arc for f in metrics.flows} - {f.arc for f in metrics.flows if f.tonnes or f.busted_tonnes
                                                    or f.benchmark > 0.5 or (f.banded or 0) > 0.5})


def _flow_plot(metrics: DrillMetrics) -> bytes:
    quiet = _quiet_arcs(metrics)
    arcs = sorted({f.arc for f in metrics.flows} - set(quiet))
    phases = [p.phase for p in metrics.phases]
    figure, axes = _grid(len(arcs), height=2.6)
    for axis, arc in zip(axes, arcs):
        rows = {f.phase: f for f in metrics.flows if f.arc == arc}
        xs = list(range(len(phases)))
        delivered = [rows[p].tonnes if p in rows else 0 for p in phases]
        axis.bar(xs, delivered, 0.6, color="tab:green", label="delivered (origin t)")
        bench = [(x, rows[p].benchmark) for x, p in zip(xs, phases) if p in rows]
        axis.plot([x for x, _ in bench], [b for _, b in bench], "o", color="tab:red", markersize=4, label="benchmark")
        banded = [(x, rows[p].banded) for x, p in zip(xs, phases) if p in rows and rows[p].banded is not None]
        axis.plot([x for x, _ in banded], [b for _, b in banded], "D", markerfacecolor="none", color="tab:purple",
                  markersize=6, label="band-constrained benchmark")
        # a cap far above every flow would flatten them: the axis stops above the flows, and such a cap is drawn
        # at the top edge with its value written beside it
        data = max([*delivered, *(b for _, b in bench), *(b for _, b in banded), 1.0])
        caps = [(x, rows[p].cap) for x, p in zip(xs, phases) if p in rows and rows[p].cap is not None]
        above = any(c > 4 * data for _, c in caps)
        top = max([data * (1.45 if above else 1.25), *(c * 1.1 for _, c in caps if c <= 4 * data)])
        near = [(x, c) for x, c in caps if c * 1.1 <= top]
        axis.plot([x for x, _ in near], [c for _, c in near], "_", markersize=22, markeredgewidth=2.5, color="black",
                  label="cap (origin t)")
        for x, cap in caps:
            if cap * 1.1 > top:
                axis.plot([x], [top * 0.97], "^", color="black", markersize=6, label="cap above the axis")
                axis.annotate(f"cap {cap:,.0f}", (x, top * 0.97), xytext=(0, -11), textcoords="offset points",
                              ha="center", va="top", fontsize=6)
        axis.set_ylim(0, top)
        axis.yaxis.set_major_formatter(_THOUSANDS)
        axis.set_xticks(xs, phases, rotation=30, ha="right", fontsize=7)
        axis.tick_params(axis="y", labelsize=7)
        axis.set_title(arc, fontsize=9)
    if axes:
        handles, labels = {}, {}
        for axis in axes:  # every kind of mark once, whichever panel drew it
            for handle, label in zip(*axis.get_legend_handles_labels()):
                handles.setdefault(label, handle)
        figure.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=5, fontsize=8)
        note = f"\nno flow in the drill or its benchmark in any phase (not drawn): {', '.join(quiet)}" if quiet else ""
        figure.suptitle(f"Cross-border flows per link direction (each panel its own scale){note}", fontsize=10)
    return _png(figure)


def _cost_plot(scenario: Scenario, metrics: DrillMetrics) -> bytes:
    """One panel per market: compliance cost per phase, simulated beside the benchmark."""
    registries = sorted({r for p in metrics.phases for r in p.markets})
    phases = [p.phase for p in metrics.phases]
    figure, axes = _grid(len(registries), height=2.4)
    for axis, registry in zip(axes, registries):
        xs = list(range(len(phases)))
        rows = [p.markets.get(registry) for p in metrics.phases]
        axis.bar([x - 0.2 for x in xs], [(m.simulated_cost or 0.0) if m else 0.0 for m in rows], 0.4,
                 color="tab:blue", label="simulated")
        axis.bar([x + 0.2 for x in xs], [m.benchmark_cost if m else 0.0 for m in rows], 0.4, color="tab:orange",
                 label="benchmark")
        axis.set_xticks(xs, phases, rotation=30, ha="right", fontsize=7)
        axis.tick_params(axis="y", labelsize=7)
        axis.yaxis.set_major_formatter(_THOUSANDS)
        axis.set_title(registry, fontsize=9)
    if axes:
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)
        figure.suptitle(f"Compliance cost per market and phase ({scenario.reporting_currency})", fontsize=10)
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
    found = [
        Plot("prices.png", "Prices against the equilibrium",
             "One panel per market: settled trade prices and daily volume-weighted prices in local currency, with "
             "each phase's analytic equilibrium price drawn as a red step line", _price_plot(scenario, journal, metrics)),
    ]
    if metrics.flows:
        quiet = _quiet_arcs(metrics)
        found.append(Plot("flows.png", "Cross-border flows and caps",
                          "One panel per link direction: units delivered per phase as bars, the phase's cap as a black "
                          "marker (a cap far above the flows as an arrow at the top, its value written), the benchmark "
                          "flow as a red dot and the band-constrained benchmark as a hollow diamond"
                          + (f"; no flow in any phase, not drawn: {', '.join(quiet)}" if quiet else ""),
                          _flow_plot(metrics)))
    found += [
        Plot("volume.png", "Volume per market and phase", "Tonnes traded at home per market, grouped by phase",
             _bars("Volume per market and phase", "tonnes", phases, volume)),
        Plot("compliance_cost.png", "Compliance cost per market",
             "One panel per market: compliance cost per phase, simulated beside the benchmark, in the reporting "
             "currency", _cost_plot(scenario, metrics)),
    ]
    return found
