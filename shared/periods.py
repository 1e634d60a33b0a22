"""Compliance periods, one home for the bridge's quota counters and everyone who reads them: the period of a
business time (integer ms since the Unix epoch, UTC) is its UTC calendar year. Standard library only."""

from __future__ import annotations

from datetime import UTC, datetime


def calendar_year(time_ms: int) -> int:
    """The default compliance period key: the UTC calendar year of the business time."""
    return datetime.fromtimestamp(time_ms // 1000, tz=UTC).year
