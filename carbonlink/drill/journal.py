"""What a drill run observed, as plain data: trades with their accounts, trading days, link events,
each compliance entity's position at the end of each phase, refusals, and the audit's verdict.

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
    at: int  # wall-clock ms when observed by the exchange
    buy_account: str = ""
    sell_account: str = ""


@dataclass(frozen=True)
class DayRecord:
    phase: str
    day: int
    start: int  # wall-clock ms
    end: int


@dataclass(frozen=True)
class LinkEvent:
    phase: str
    linkage: str
    action: str  # activate, update, suspend
    state: str
    at: int


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
    speed: int
    days: list[DayRecord] = field(default_factory=list)
    trades: list[TradeRecord] = field(default_factory=list)
    failed_trades: dict[str, str] = field(default_factory=dict)  # trade id → reason
    link_events: list[LinkEvent] = field(default_factory=list)
    outcomes: list[EntityOutcome] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)
    compliance: list[dict[str, Any]] = field(default_factory=list)  # emissions and surrenders per phase
    audit: dict[str, Any] | None = None
    orders: int = 0
    interrupted: bool = False
    wall_seconds: float = 0.0
