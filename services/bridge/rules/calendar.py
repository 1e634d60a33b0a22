"""Business-time arithmetic: a link's settlement calendar and the compliance period of a moment (``shared.periods``).

Business time is integer milliseconds since the Unix epoch (UTC), always given from outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from shared.periods import calendar_year  # noqa: F401  (the compliance period, re-exported with the calendar)

MINUTE_MS = 60_000
DAY_MS = 86_400_000
MINUTES_PER_DAY = 1_440


class Weekday(IntEnum):
    """ISO order, Monday first (matches ``datetime.weekday()``)."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


def weekday_of(time_ms: int) -> Weekday:
    """The UTC weekday of a business time (1 Jan 1970 was a Thursday)."""
    return Weekday((time_ms // DAY_MS + Weekday.THURSDAY) % 7)


@dataclass(frozen=True, slots=True)
class SettlementCalendar:
    """When a link settles: on the given UTC weekdays, from ``opens_at_minute`` to ``closes_at_minute`` (exclusive).

    ``SettlementCalendar.immediate()`` is every day, all day. The EU–Swiss link since 2023 is
    ``SettlementCalendar.windows(weekdays={Weekday.TUESDAY, Weekday.THURSDAY})``.
    """

    weekdays: frozenset[Weekday] = frozenset(Weekday)
    opens_at_minute: int = 0
    closes_at_minute: int = MINUTES_PER_DAY

    def __post_init__(self) -> None:
        if not self.weekdays:
            raise ValueError("a settlement calendar needs at least one weekday")
        if not 0 <= self.opens_at_minute < self.closes_at_minute <= MINUTES_PER_DAY:
            raise ValueError("need 0 <= opens_at_minute < closes_at_minute <= 1440")

    @classmethod
    def immediate(cls) -> SettlementCalendar:
        """Settle at any time."""
        return cls()

    @classmethod
    def windows(
        cls,
        *,
        weekdays: set[Weekday] | frozenset[Weekday],
        opens_at_minute: int = 0,
        closes_at_minute: int = MINUTES_PER_DAY,
    ) -> SettlementCalendar:
        """Settle only on these UTC weekdays, optionally only within a time-of-day window."""
        return cls(frozenset(weekdays), opens_at_minute, closes_at_minute)

    @property
    def is_immediate(self) -> bool:
        return self == SettlementCalendar()

    def is_open(self, time_ms: int) -> bool:
        """Whether a delivery may settle at this business time."""
        minute = (time_ms % DAY_MS) // MINUTE_MS
        return weekday_of(time_ms) in self.weekdays and self.opens_at_minute <= minute < self.closes_at_minute

    def next_opening(self, time_ms: int) -> int:
        """The earliest business time at or after ``time_ms`` when the calendar is open."""
        if self.is_open(time_ms):
            return time_ms
        today = time_ms - time_ms % DAY_MS
        for days_ahead in range(8):
            opening = today + days_ahead * DAY_MS + self.opens_at_minute * MINUTE_MS
            if opening > time_ms and weekday_of(opening) in self.weekdays:
                return opening
        raise AssertionError("unreachable: a non-empty weekday set opens within eight days")
