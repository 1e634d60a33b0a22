"""Every reason code: one scenario that produces it, its stable number, and its entry in the documentation."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from services.bridge.rules.reasons import EXECUTOR_CODES
from services.bridge.rules import (
    Check,
    Conversion,
    Deferred,
    Eligibility,
    LinkStatus,
    Outcome,
    QuantityLimits,
    ReasonCode,
    Refused,
    SettlementCalendar,
    UnitClass,
    UnitType,
    Weekday,
    evaluate,
    suspend,
)

from .builders import JAN_1_2025, TUESDAY_4_MARCH_2025, agreement, ms, request, usage

DOC = Path(__file__).resolve().parents[3] / "docs" / "bridge-reason-codes.md"

SCENARIOS = {
    ReasonCode.LINK_NOT_FOUND: (request(), None, usage()),
    ReasonCode.SAME_REGISTRY: (request(buyer_account="CN-BJ/other"), agreement(), usage()),
    ReasonCode.LINK_NOT_YET_EFFECTIVE: (request(), agreement(effective_from=ms(2026, 1, 1)), usage()),
    ReasonCode.LINK_EXPIRED: (request(), agreement(effective_until=ms(2025, 3, 1)), usage()),
    ReasonCode.LINK_SUSPENDED: (request(), suspend(agreement(), at=JAN_1_2025), usage()),
    ReasonCode.LINK_TERMINATED: (request(), agreement(status=LinkStatus.TERMINATED), usage()),
    ReasonCode.UNIT_TYPE_NOT_ELIGIBLE: (
        request(unit_class=UnitClass("CN-BJ", UnitType.CONVERTED, 2025)), agreement(), usage()
    ),
    ReasonCode.VINTAGE_NOT_ELIGIBLE: (
        request(), agreement(eligibility=Eligibility(unit_types=frozenset(UnitType), min_vintage=2026)), usage()
    ),
    ReasonCode.ORIGIN_NOT_ELIGIBLE: (
        request(unit_class=UnitClass("CN-SH", UnitType.ALLOWANCE, 2025)), agreement(), usage()
    ),
    ReasonCode.SENDER_ACCOUNT_BLOCKED: (request(), agreement(), usage(sender_blocked=True)),
    ReasonCode.RECEIVER_ACCOUNT_BLOCKED: (request(), agreement(), usage(receiver_blocked=True)),
    ReasonCode.UNITS_NOT_HELD_BY_SENDER: (request(quantity=1_000), agreement(), usage(sender_held=999)),
    ReasonCode.OUTSIDE_SETTLEMENT_WINDOW: (
        request(), agreement(calendar=SettlementCalendar.windows(weekdays={Weekday.THURSDAY})), usage()
    ),
    ReasonCode.NO_WINDOW_BEFORE_EXPIRY: (
        request(),
        agreement(
            calendar=SettlementCalendar.windows(weekdays={Weekday.THURSDAY}),
            effective_until=TUESDAY_4_MARCH_2025 + 3_600_000,
        ),
        usage(),
    ),
    ReasonCode.ZERO_DELIVERED_AFTER_CONVERSION: (
        request(quantity=1), agreement(conversion=Conversion(exchange_rate=Fraction(1, 2))), usage()
    ),
    ReasonCode.PERIOD_CAP_EXCEEDED: (
        request(), agreement(limits=QuantityLimits(period_cap=10_000)), usage(link_period_delivered=9_001)
    ),
    ReasonCode.ACCOUNT_CAP_EXCEEDED: (
        request(), agreement(limits=QuantityLimits(account_period_cap=500)), usage()
    ),
    ReasonCode.OBLIGATION_SHARE_EXCEEDED: (
        request(), agreement(limits=QuantityLimits(obligation_share=Fraction(5, 100))), usage(obligation=10_000)
    ),
    ReasonCode.LOCAL_ORIGIN_SHARE_BREACHED: (
        request(),
        agreement(limits=QuantityLimits(local_origin_min_share=Fraction(7, 10))),
        usage(local_units_counted=0),
    ),
    ReasonCode.HOLDING_LIMIT_EXCEEDED: (
        request(), agreement(), usage(receiver_holding=5_945_000, receiver_holding_limit=5_945_000)
    ),
}


def test_every_reason_code_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(ReasonCode) - EXECUTOR_CODES


@pytest.mark.parametrize("code", sorted(set(ReasonCode) - EXECUTOR_CODES), ids=lambda code: code.name)
def test_each_scenario_is_answered_with_its_reason_code_on_its_last_check(code: ReasonCode) -> None:
    decision = evaluate(*SCENARIOS[code])
    assert decision.code is code
    last = decision.checks[-1]
    assert last.code is code
    if code is ReasonCode.OUTSIDE_SETTLEMENT_WINDOW:
        assert isinstance(decision, Deferred)
        assert last.outcome is Outcome.DEFERRED
    else:
        assert isinstance(decision, Refused)
        assert last.outcome is Outcome.FAILED
        assert decision.name == code.name
        assert decision.message == code.message
    assert all(check.outcome in (Outcome.PASSED, Outcome.NOT_APPLICABLE) for check in decision.checks[:-1])


def test_checks_run_in_the_documented_order() -> None:
    decision = evaluate(*SCENARIOS[ReasonCode.HOLDING_LIMIT_EXCEEDED])
    assert [outcome.check for outcome in decision.checks] == list(Check)


def test_reason_code_numbers_are_stable() -> None:
    assert {code.name: int(code) for code in ReasonCode} == {
        "LINK_NOT_FOUND": 7101,
        "SAME_REGISTRY": 7102,
        "LINK_NOT_YET_EFFECTIVE": 7103,
        "LINK_EXPIRED": 7104,
        "LINK_SUSPENDED": 7105,
        "LINK_TERMINATED": 7106,
        "UNIT_TYPE_NOT_ELIGIBLE": 7111,
        "VINTAGE_NOT_ELIGIBLE": 7112,
        "ORIGIN_NOT_ELIGIBLE": 7113,
        "SENDER_ACCOUNT_BLOCKED": 7121,
        "RECEIVER_ACCOUNT_BLOCKED": 7122,
        "UNITS_NOT_HELD_BY_SENDER": 7123,
        "OUTSIDE_SETTLEMENT_WINDOW": 7131,
        "NO_WINDOW_BEFORE_EXPIRY": 7132,
        "ZERO_DELIVERED_AFTER_CONVERSION": 7141,
        "PERIOD_CAP_EXCEEDED": 7151,
        "ACCOUNT_CAP_EXCEEDED": 7152,
        "OBLIGATION_SHARE_EXCEEDED": 7153,
        "LOCAL_ORIGIN_SHARE_BREACHED": 7154,
        "HOLDING_LIMIT_EXCEEDED": 7155,
        "LEDGER_REFUSED": 7191,
    }


def test_every_reason_code_is_documented_with_its_number_and_name() -> None:
    rows = set(re.findall(r"^\|\s*(\d{4})\s*\|\s*`(\w+)`", DOC.read_text(), flags=re.MULTILINE))
    assert rows == {(str(int(code)), code.name) for code in ReasonCode}


def test_every_check_is_documented() -> None:
    text = DOC.read_text()
    assert all(f"`{check}`" in text for check in Check)
