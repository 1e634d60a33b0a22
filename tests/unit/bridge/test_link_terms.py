"""Link status, effective dates, qualitative limits, accounts and corresponding adjustments."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from services.bridge.rules import (
    Adjustment,
    Approved,
    Conversion,
    Eligibility,
    LinkageAgreement,
    LinkKind,
    LinkStatus,
    ReasonCode,
    Refused,
    UnitClass,
    UnitType,
    bilateral,
    evaluate,
    resume,
    suspend,
    terminate,
)

from .builders import JAN_1_2025, TUESDAY_4_MARCH_2025, agreement, ms, request, usage


def test_an_agreement_is_in_force_from_its_start_until_just_before_its_end() -> None:
    link = agreement(effective_from=TUESDAY_4_MARCH_2025, effective_until=TUESDAY_4_MARCH_2025 + 1)
    assert isinstance(evaluate(request(), link, usage()), Approved)
    assert evaluate(request(time=TUESDAY_4_MARCH_2025 + 1), link, usage()).code is ReasonCode.LINK_EXPIRED
    assert evaluate(request(time=TUESDAY_4_MARCH_2025 - 1), link, usage()).code is ReasonCode.LINK_NOT_YET_EFFECTIVE


def test_a_rule_for_the_opposite_direction_is_no_link() -> None:
    reverse = agreement(from_registry="KR", to_registry="CN-BJ")
    assert evaluate(request(), reverse, usage()).code is ReasonCode.LINK_NOT_FOUND


def test_vintage_range_is_inclusive_at_both_ends() -> None:
    eligibility = Eligibility(unit_types=frozenset({UnitType.ALLOWANCE}), min_vintage=2021, max_vintage=2025)
    link = agreement(eligibility=eligibility)
    for vintage, admitted in [(2020, False), (2021, True), (2025, True), (2026, False)]:
        decision = evaluate(request(unit_class=UnitClass("CN-BJ", UnitType.ALLOWANCE, vintage)), link, usage())
        assert isinstance(decision, Approved) is admitted
        if not admitted:
            assert decision.code is ReasonCode.VINTAGE_NOT_ELIGIBLE


def test_by_default_only_units_issued_by_the_sending_registry_may_cross() -> None:
    shanghai_units_held_in_beijing = request(unit_class=UnitClass("CN-SH", UnitType.ALLOWANCE, 2025))
    assert evaluate(shanghai_units_held_in_beijing, agreement(), usage()).code is ReasonCode.ORIGIN_NOT_ELIGIBLE
    wider = agreement(
        eligibility=Eligibility(unit_types=frozenset({UnitType.ALLOWANCE}), origins=frozenset({"CN-BJ", "CN-SH"}))
    )
    assert isinstance(evaluate(shanghai_units_held_in_beijing, wider, usage()), Approved)


def test_the_sender_must_hold_the_whole_traded_quantity() -> None:
    assert isinstance(evaluate(request(quantity=1_000), agreement(), usage(sender_held=1_000)), Approved)
    refused = evaluate(request(quantity=1_000), agreement(), usage(sender_held=999))
    assert isinstance(refused, Refused)
    assert dict(refused.details) == {"held": 999, "quantity": 1_000}


def test_a_terminated_link_refuses_even_trades_matched_long_before() -> None:
    link = terminate(suspend(agreement(), at=JAN_1_2025))
    assert evaluate(request(matched_at=JAN_1_2025 - 1), link, usage()).code is ReasonCode.LINK_TERMINATED
    assert resume(link).status is LinkStatus.TERMINATED


def test_a_resumed_link_approves_again() -> None:
    link = resume(suspend(agreement(), at=JAN_1_2025))
    assert link.suspended_at is None
    assert isinstance(evaluate(request(), link, usage()), Approved)


def test_a_first_transfer_out_of_origin_records_a_corresponding_adjustment_for_the_period() -> None:
    decision = evaluate(request(quantity=1_916), agreement(corresponding_adjustment=True), usage())
    assert isinstance(decision, Approved)
    assert decision.adjustments == (
        Adjustment(registry="CN-BJ", period=2025, quantity=1_916, link_id="BJ-KR", trade_id="CNBJ-A25:T1"),
        Adjustment(registry="KR", period=2025, quantity=-1_916, link_id="BJ-KR", trade_id="CNBJ-A25:T1"),
    )


def test_units_already_adjusted_or_a_link_without_adjustments_record_none() -> None:
    adjusted_before = usage(units_already_adjusted=True)
    assert evaluate(request(), agreement(corresponding_adjustment=True), adjusted_before).adjustments == ()
    assert evaluate(request(), agreement(corresponding_adjustment=False), usage()).adjustments == ()


def test_the_adjustment_goes_to_the_units_origin_even_when_another_registry_sends_them() -> None:
    link = agreement(
        corresponding_adjustment=True,
        eligibility=Eligibility(unit_types=frozenset({UnitType.ALLOWANCE}), origins=frozenset({"CN-SH"})),
    )
    decision = evaluate(request(unit_class=UnitClass("CN-SH", UnitType.ALLOWANCE, 2025)), link, usage())
    assert [(a.registry, a.quantity) for a in decision.adjustments] == [("CN-SH", 1_000), ("KR", -1_000)]


def test_the_period_is_the_calendar_year_of_the_evaluation_unless_told_otherwise() -> None:
    assert evaluate(request(time=ms(2025, 12, 31, 23, 59)), agreement(), usage()).period == 2025
    def phase(time: int) -> int:
        return 3 if time >= ms(2021, 1, 1) else 2

    assert evaluate(request(), agreement(), usage(), period_of=phase).period == 3


@pytest.mark.parametrize(
    "overrides",
    [
        {"from_registry": "KR", "to_registry": "KR"},
        {"effective_until": JAN_1_2025},
        {"kind": LinkKind.MULTILATERAL},
        {"group": "WCI"},
        {"status": LinkStatus.SUSPENDED},
        {"suspended_at": JAN_1_2025},
    ],
    ids=["same registry", "ends before it starts", "multilateral without group", "group without multilateral",
         "suspended without time", "suspension time while active"],
)
def test_inconsistent_agreements_are_rejected(overrides: dict) -> None:
    with pytest.raises(ValueError):
        replace(agreement(), **overrides)


@pytest.mark.parametrize(
    "overrides",
    [{"unit_types": frozenset()}, {"min_vintage": 2026, "max_vintage": 2025}, {"origins": frozenset()}],
    ids=["no unit type", "empty vintage range", "no origin"],
)
def test_eligibility_that_admits_nothing_is_rejected(overrides: dict) -> None:
    with pytest.raises(ValueError):
        Eligibility(**overrides)


def test_requests_need_positive_quantities_and_registry_qualified_accounts() -> None:
    with pytest.raises(ValueError):
        request(quantity=0)
    with pytest.raises(ValueError):
        request(buyer_account="posco")


def test_agreements_are_immutable() -> None:
    link = agreement()
    with pytest.raises(AttributeError):
        link.status = LinkStatus.TERMINATED  # type: ignore[misc]
    assert isinstance(link, LinkageAgreement)


def test_a_bilateral_link_converts_back_at_the_reverse_rate_one_over_the_rate_unless_agreed() -> None:
    there, back = bilateral(link_id="A-B", registries=("A", "B"), effective_from=JAN_1_2025,
                            conversion=Conversion(exchange_rate=Fraction(2), discount=Fraction(1, 10)))
    assert (there.conversion.exchange_rate, back.conversion.exchange_rate) == (2, Fraction(1, 2))
    assert back.conversion.discount == Fraction(1, 10)
    _, agreed = bilateral(link_id="A-B", registries=("A", "B"), effective_from=JAN_1_2025,
                          conversion=Conversion(exchange_rate=Fraction(2)), reverse_exchange_rate=Fraction(2, 5))
    assert agreed.conversion.exchange_rate == Fraction(2, 5)


def test_a_reverse_rate_that_would_create_units_on_a_round_trip_is_refused() -> None:
    with pytest.raises(ValueError, match="round trip"):
        bilateral(link_id="A-B", registries=("A", "B"), effective_from=JAN_1_2025,
                  conversion=Conversion(exchange_rate=Fraction(2)), reverse_exchange_rate=Fraction(1))
