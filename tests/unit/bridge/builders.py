"""Builders with keyword overrides for rule-engine tests: a Beijing -> Seoul link and a trade across it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from services.bridge.rules import (
    Eligibility,
    LinkageAgreement,
    LinkKind,
    TransferRequest,
    UnitClass,
    UnitType,
    Usage,
)


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """Business time (ms since epoch, UTC) of a calendar moment."""
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()) * 1000


JAN_1_2025 = ms(2025, 1, 1)
TUESDAY_4_MARCH_2025 = ms(2025, 3, 4, 10)

BEIJING_ALLOWANCE_2025 = UnitClass("CN-BJ", UnitType.ALLOWANCE, 2025)


def agreement(**overrides: Any) -> LinkageAgreement:
    """A unilateral Beijing -> Seoul link for allowances, in force from 2025, no limits, 1:1."""
    base = LinkageAgreement(
        link_id="BJ-KR",
        kind=LinkKind.UNILATERAL,
        from_registry="CN-BJ",
        to_registry="KR",
        effective_from=JAN_1_2025,
        eligibility=Eligibility(unit_types=frozenset({UnitType.ALLOWANCE, UnitType.OFFSET})),
    )
    return replace(base, **overrides)


def request(**overrides: Any) -> TransferRequest:
    """A Seoul buyer taking 1,000 Beijing 2025 allowances from a Beijing seller on a Tuesday morning."""
    base = TransferRequest(
        trade_id="CNBJ-A25:T1",
        seller_account="CN-BJ/acme-steel",
        buyer_account="KR/posco",
        unit_class=BEIJING_ALLOWANCE_2025,
        quantity=1_000,
        matched_at=TUESDAY_4_MARCH_2025 - 1_000,
        time=TUESDAY_4_MARCH_2025,
    )
    return replace(base, **overrides)


def usage(**overrides: Any) -> Usage:
    """Fresh counters; the seller holds plenty."""
    return replace(Usage(sender_held=1_000_000), **overrides)
