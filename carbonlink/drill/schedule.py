"""The drill's timetable in business time, pure: trading days per phase, the steps of a day and what happens
at each (session changes per instrument, an intraday suspension, dealers unwinding), and which linkages
change state at a phase boundary.

Only the trading sessions are simulated: a day's ``session_minutes`` run from 09:00 (in the clock's time
zone) in steps of ``step_minutes``; each instrument's sessions (opening call, continuous, closing call)
share the day in proportion to their lengths, breaks skipped. Step ``k`` of ``n`` covers the fraction
``k/n`` of the day; the close comes after the last step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from carbonlink.drill.scenario import Instrument, Linkage, LinkState, Phase, Scenario

__all__ = [
    "FLATTEN_FROM",
    "SUSPEND_AT",
    "DayWindow",
    "LinkChange",
    "Step",
    "business_ms",
    "business_time",
    "day_steps",
    "link_changes",
    "session_steps",
    "timetable",
]

FLATTEN_FROM = 0.6  # of a phase's last day: from here dealers only unwind their inventory
SUSPEND_AT = 0.25  # of a phase's first day: when a link the phase suspends is suspended, orders resting

_SESSION_PHASES = {"opening_call": "OPENING_AUCTION", "continuous": "CONTINUOUS", "closing_call": "CLOSING_AUCTION"}
_DAY_OPENS_AT = timedelta(hours=9)


@dataclass(frozen=True)
class DayWindow:
    """One trading day: its phase, its day number, and whether it opens or closes the phase."""

    phase: Phase
    day: int
    first_of_phase: bool
    last_of_phase: bool


@dataclass(frozen=True)
class Step:
    """One step of a day: its business time, the instruments' session changes due, and the day's flags."""

    index: int
    at: int  # business ms
    sessions: tuple[tuple[str, str], ...]  # (instrument, exchange phase) changes taking effect at this step
    suspend: bool  # the phase's intraday suspensions happen at this step
    flatten: bool  # dealers only unwind their inventory


@dataclass(frozen=True)
class LinkChange:
    linkage: Linkage
    before: LinkState
    after: LinkState


def timetable(scenario: Scenario) -> list[DayWindow]:
    """Every trading day of the timeline, in order; days no phase covers are skipped."""
    windows: list[DayWindow] = []
    for phase in sorted(scenario.phases, key=lambda phase: phase.start_day):
        days = scenario.phase_days(phase)
        windows += [DayWindow(phase, phase.start_day + offset, offset == 0, offset == days - 1)
                    for offset in range(days)]
    return windows


def day_steps(scenario: Scenario, window: DayWindow, *, suspends: bool) -> list[Step]:
    """The steps of one trading day; ``suspends``: the phase suspends a link intraday on its first day."""
    n = scenario.clock.steps_per_day
    due: dict[int, list[tuple[str, str]]] = {}
    for instrument in scenario.instruments:
        for fraction, exchange_phase in session_steps(instrument)[:-1]:
            due.setdefault(min(n - 1, math.ceil(fraction * n)), []).append((instrument.id, exchange_phase))
    suspend_step = math.ceil(SUSPEND_AT * n) if suspends and window.first_of_phase else None
    flatten_from = math.ceil(FLATTEN_FROM * n) if window.last_of_phase else n
    return [Step(k, business_ms(scenario, window.day, k / n), tuple(due.get(k, ())), k == suspend_step,
                 k >= flatten_from) for k in range(n)]


def session_steps(instrument: Instrument) -> list[tuple[float, str]]:
    """(fraction of the day, exchange phase) for each step of a day, ending with CLOSED at 1.0."""
    sessions = sorted(instrument.sessions, key=lambda session: session.start)
    lengths = [_minutes(s.end) - _minutes(s.start) for s in sessions]
    total = sum(lengths)
    steps, elapsed = [], 0
    for session, length in zip(sessions, lengths):
        phase = _SESSION_PHASES[session.kind]
        if not steps or steps[-1][1] != phase:
            steps.append((elapsed / total, phase))
        elapsed += length
    steps.append((1.0, "CLOSED"))
    return steps


def _minutes(moment) -> int:
    return moment.hour * 60 + moment.minute


def business_time(scenario: Scenario, day: int, fraction: float) -> datetime:
    """The business moment ``fraction`` of the way through trading day ``day``."""
    return scenario.clock.day_start(day) + _DAY_OPENS_AT + timedelta(minutes=scenario.clock.session_minutes * fraction)


def business_ms(scenario: Scenario, day: int, fraction: float) -> int:
    """``business_time`` in whole ms since the epoch (exact for a step's fraction k/n)."""
    opens = scenario.clock.day_start(day) + _DAY_OPENS_AT
    return int(opens.timestamp()) * 1000 + round(scenario.clock.session_minutes * 60_000 * fraction)


def link_changes(scenario: Scenario, before: Phase | None, after: Phase) -> list[LinkChange]:
    """The linkages whose state (or restricted terms) differ between two consecutive phases."""
    changes = []
    for linkage in scenario.linkages:
        old = scenario.link_state(before, linkage) if before is not None else LinkState(state="absent")
        new = scenario.link_state(after, linkage)
        if old != new:
            changes.append(LinkChange(linkage, old, new))
    return changes
