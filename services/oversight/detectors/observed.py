"""What every detector is fed and configured with: an observed event, who owns which account, the thresholds,
and the one way an alert is built (its id derived from the evidence, so a replay raises the same alert)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from shared.messages.operations import AlertRaised
from shared.messages.vocabulary import Message

WASH_TRADE = "WASH_TRADE"
SPOOFING = "SPOOFING"
MARKING_THE_CLOSE = "MARKING_THE_CLOSE"
CROSS_BORDER_ROUND_TRIP = "CROSS_BORDER_ROUND_TRIP"
QUOTA_CONCENTRATION = "QUOTA_CONCENTRATION"
CORRIDOR_BREACH = "CORRIDOR_BREACH"

#: Every alert code oversight raises (a contract: add codes, never rename).
ALERT_CODES = (WASH_TRADE, SPOOFING, MARKING_THE_CLOSE, CROSS_BORDER_ROUND_TRIP, QUOTA_CONCENTRATION, CORRIDOR_BREACH)


@dataclass(frozen=True, slots=True)
class Observed:
    """One event as a detector sees it: its envelope id, its business time and its typed payload."""

    event_id: str
    at: int
    message: Message


@dataclass(frozen=True, slots=True)
class Owners:
    """Ownership groups the operator recorded: account → beneficial owner. Other accounts own themselves."""

    groups: Mapping[str, str] = field(default_factory=dict)

    def of(self, account: str) -> str:
        return self.groups.get(account, account)

    def grouped(self, account: str) -> bool:
        return account in self.groups


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a pattern is worth an alert. Times are business milliseconds; shares exact fractions."""

    spoof_large_ratio: Fraction = Fraction(5)  # an order at least this many times the instrument's mean size
    spoof_min_history: int = 5  # orders seen on the instrument before any is judged large
    spoof_near_touch: Fraction = Fraction(2, 100)  # within this share of the best price on its side
    spoof_max_lifetime_ms: int = 30_000  # cancelled unfilled within this long of its acceptance
    spoof_window_ms: int = 120_000
    spoof_min_cancels: int = 3
    close_window_ms: int = 120_000  # "the last minutes" before the close
    close_move: Fraction = Fraction(5, 100)  # the closing price moved at least this share in them
    close_dominance: Fraction = Fraction(1, 2)  # one owner's aggressive share of the window's volume exceeds this
    close_min_trades: int = 3  # that owner's aggressive trades in the window (one fill in a thin book is no pattern)
    round_trip_window_ms: int = 3_600_000
    round_trip_share: Fraction = Fraction(1, 2)  # bought back, of what went out: a position that came back
    concentration_share: Fraction = Fraction(1, 2)  # one owner's share of a link's quota for the period


def alert(code: str, *, key: str, severity: str, subject: str, evidence: list[str], raised_at: int, summary: str,
          owner: str = "", details: dict[str, str | int] | None = None) -> AlertRaised:
    return AlertRaised(alert_id=f"{code}:{key}", code=code, severity=severity, subject=subject, owner=owner,
                       evidence=evidence, raised_at=raised_at, summary=summary, details=details or {})


def registry_of(account: str) -> str:
    return account.partition("/")[0]
