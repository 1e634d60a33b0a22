"""The drill's timetable, pure: trading days per phase in wall-clock seconds, each instrument's session
steps through a day, business time of a moment, and which linkages change state at a phase boundary.

Only the trading sessions are simulated: a day lasts ``session_minutes`` business minutes, which at
``speed`` business seconds per wall second take ``session_minutes × 60 / speed`` wall seconds. A
day's sessions (opening call, continuous, closing call) share that time in proportion to their
lengths; breaks between them are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from carbonlink.drill.scenario import Instrument, Linkage, LinkState, Phase, Scenario

__all__ = ["DayWindow", "LinkChange", "business_time", "day_seconds", "link_changes", "session_steps", "timetable"]

_SESSION_PHASES = {"opening_call": "OPENING_AUCTION", "continuous": "CONTINUOUS", "closing_call": "CLOSING_AUCTION"}
_DAY_OPENS_AT = timedelta(hours=9)


@dataclass(frozen=True)
class DayWindow:
    """One trading day: its phase, its day number, and when it runs (wall seconds from the drill's start)."""

    phase: Phase
    day: int
    first_of_phase: bool
    last_of_phase: bool
    start: float
    end: float


@dataclass(frozen=True)
class LinkChange:
    linkage: Linkage
    before: LinkState
    after: LinkState


def day_seconds(scenario: Scenario, speed: int) -> float:
    return scenario.clock.session_minutes * 60 / speed


def timetable(scenario: Scenario, speed: int) -> list[DayWindow]:
    """Every trading day of the timeline, in order; days no phase covers are skipped."""
    length = day_seconds(scenario, speed)
    windows: list[DayWindow] = []
    for phase in sorted(scenario.phases, key=lambda phase: phase.start_day):
        days = scenario.phase_days(phase)
        for offset in range(days):
            start = len(windows) * length
            windows.append(DayWindow(phase, phase.start_day + offset, offset == 0, offset == days - 1,
                                     start, start + length))
    return windows


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


def link_changes(scenario: Scenario, before: Phase | None, after: Phase) -> list[LinkChange]:
    """The linkages whose state (or restricted terms) differ between two consecutive phases."""
    changes = []
    for linkage in scenario.linkages:
        old = scenario.link_state(before, linkage) if before is not None else LinkState(state="absent")
        new = scenario.link_state(after, linkage)
        if old != new:
            changes.append(LinkChange(linkage, old, new))
    return changes
