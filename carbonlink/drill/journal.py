"""What a drill run observed, as plain data: trades with their accounts, trading days, link events
(with the foreign orders a suspension cancelled), each compliance entity's position at the end of each
phase, the bridge's quota counters at each phase end, refusals, the audit's verdict and any error.

The runner fills it; metrics and the report read it (and tests build it by hand)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DayRecord", "DrillJournal", "EntityOutcome", "LinkEvent", "TradeRecord"]


@dataclass(frozen=True)
class TradeRecord:
    trade_id: str
    instrument: str
    price: int  # minor units of the instrument's currency per tonne
    quantity: int
    at: int  # business ms of the match (the step's business time)
    buy_account: str = ""
    sell_account: str = ""
    refused: str | None = None  # a cross-border delivery the bridge refused: its reason code (the trade busted)


@dataclass(frozen=True)
class DayRecord:
    phase: str
    day: int
    start: int  # business ms of the day's first step
    end: int  # business ms of its close


@dataclass(frozen=True)
class LinkEvent:
    phase: str
    linkage: str
    action: str  # activate, update, suspend
    state: str
    at: int
    resting_foreign: int | None = None  # a suspension: foreign orders resting on the link's markets just before
    cancelled: int | None = None  # … and how many of them were CANCELLED afterwards (from the order states)
    final_states: dict[str, int] | None = None  # … and every state they ended in, e.g. {"CANCELLED": 3}


@dataclass(frozen=True)
class EntityOutcome:
    """A compliance entity at the end of a phase: units credited towards the phase's obligation."""

    phase: str
    member: str
    account: str
    registry: str
    position: int


@dataclass
class DrillJournal:
    scenario: str
    speed: int  # 0: as fast as the exchange processes each step
    tag: str = ""  # prefix of this run's account names (the report leaves it out)
    days: list[DayRecord] = field(default_factory=list)
    trades: list[TradeRecord] = field(default_factory=list)
    failed_trades: dict[str, str] = field(default_factory=dict)  # trade id → reason
    link_events: list[LinkEvent] = field(default_factory=list)
    outcomes: list[EntityOutcome] = field(default_factory=list)  # every trader's units held at each phase end
    starts: list[EntityOutcome] = field(default_factory=list)  # … and at each phase start (after allocation)
    refusals: Counter[str] = field(default_factory=Counter)
    compliance: list[dict[str, Any]] = field(default_factory=list)  # emissions and surrenders per phase
    quota_counted: dict[str, dict[str, int]] = field(default_factory=dict)  # phase end → arc → bridge counter
    quota_at_start: dict[str, int] = field(default_factory=dict)  # counted before the drill (an earlier run's)
    audit: dict[str, Any] | None = None
    error: str | None = None  # what stopped the run early (an operator call that failed mid-run)
    orders: int = 0
    interrupted: bool = False
    wall_seconds: float = 0.0
