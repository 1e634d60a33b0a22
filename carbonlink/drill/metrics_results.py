"""The drill metrics' results (per market, per link direction, per phase, the whole drill) and the readings of the
journal every metric uses: business-day coordinates, a phase's window, VWAP, an account's registry, money in the
reporting currency."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from carbonlink.drill.journal import DrillJournal, TradeRecord
from carbonlink.drill.scenario import Scenario
from shared.money import minor_digits


@dataclass(frozen=True)
class MarketResult:
    registry: str
    instrument: str
    benchmark_minor: float  # band-constrained equilibrium price, local minor units per tonne
    simulated_minor: float | None  # second-half VWAP over home trades and imports per credited tonne
    error_pct: float | None  # against the band-constrained equilibrium
    volume: int
    trades: int
    benchmark_cost: float  # compliance cost, reporting currency
    simulated_cost: float | None
    band_reach: tuple[float, float] | None = None  # minor units; None: no band
    price_basis: str = "home"  # "home", "imports", "home and imports", or "last trade" (none in the second half)
    band_limited: bool = False  # held at a bound of its band reach in the band-constrained equilibrium
    unconstrained_minor: float | None = None  # the equilibrium without bands, for reference
    unconstrained_error_pct: float | None = None


@dataclass(frozen=True)
class FlowResult:
    phase: str
    arc: str  # "{link}:{origin}>{destination}"
    tonnes: int  # origin tonnes delivered across the border
    credited: int  # units counted in the destination
    cap: float | None  # origin tonnes the phase allows, None: uncapped
    benchmark: float  # origin tonnes in the equilibrium
    counted: int | None = None  # units the bridge's link counter rose by in the phase (delivered, credited)
    credited_cap: float | None = None  # the cap in units credited in the destination
    busted_tonnes: int = 0  # matched across the border, then refused by the bridge (not in ``tonnes``)
    banded: float | None = None  # origin tonnes in the band-constrained equilibrium (prices are judged against it)
    binds: bool | None = None  # whether the cap binds there (None: uncapped): only then is "at the cap" a target

    @property
    def utilisation(self) -> float | None:
        """The bridge's counted units over the credited cap."""
        return None if not self.credited_cap or self.counted is None else self.counted / self.credited_cap


@dataclass
class PhaseResult:
    phase: str
    markets: dict[str, MarketResult] = field(default_factory=dict)
    efficiency: float | None = None
    realised_gain: float | None = None
    benchmark_gain: float = 0.0
    convergence: dict[str, tuple[float | None, float]] = field(default_factory=dict)  # pair → (sim, benchmark) ratio
    notes: tuple[str, ...] = ()  # limits the benchmark only approximates
    busted: int = 0  # trades matched in the phase, then refused by the bridge
    busted_tonnes: int = 0


@dataclass
class DrillMetrics:
    phases: list[PhaseResult]
    flows: list[FlowResult]
    suspension_gaps: list[dict[str, object]]


def vwap(trades: list[TradeRecord]) -> float | None:
    volume = sum(t.quantity for t in trades)
    return sum(t.price * t.quantity for t in trades) / volume if volume else None


def business_day(journal: DrillJournal, at: int) -> float:
    """Trading-day coordinate of a business moment: day number plus the fraction of the day gone."""
    starts = [day.start for day in journal.days]
    index = max(0, bisect.bisect_right(starts, at) - 1)
    day = journal.days[index]
    return day.day + min(1.0, max(0.0, (at - day.start) / max(1, day.end - day.start)))


def phase_window(journal: DrillJournal, phase: str) -> tuple[int, int, int] | None:
    """(start, start of the second half, end) of a phase in business ms: the second half is its later days."""
    days = [day for day in journal.days if day.phase == phase]
    if not days:
        return None
    middle = days[len(days) // 2].start if len(days) > 1 else (days[0].start + days[0].end) // 2
    return days[0].start, middle, days[-1].end


def registry_of(account: str) -> str:
    return account.partition("/")[0]


def to_reporting(scenario: Scenario, currency: str, minor: float) -> float:
    return float(scenario.fx[currency]) * minor / 10 ** minor_digits(currency)
