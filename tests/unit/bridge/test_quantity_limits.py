"""Quantitative limits: link and account caps per period, obligation shares, local-origin share, holding limits."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from services.bridge.rules import (
    Approved,
    Check,
    Conversion,
    Eligibility,
    Levies,
    LinkageAgreement,
    Outcome,
    QuantityLimits,
    QuotaCounter,
    ReasonCode,
    Refused,
    TransferRequest,
    UnitClass,
    UnitType,
    Usage,
    evaluate,
)

from .builders import agreement, request, usage

KOREA_PHASE_3 = QuantityLimits(obligation_share=Fraction(5, 100))
GUANGDONG = QuantityLimits(obligation_share=Fraction(10, 100), local_origin_min_share=Fraction(7, 10))


def guangdong_link() -> LinkageAgreement:
    """Shenzhen offsets into Guangdong: at most 10% of the obligation, at least 70% of offsets local."""
    return agreement(
        link_id="SZ-GD",
        from_registry="CN-SZ",
        to_registry="CN-GD",
        eligibility=Eligibility(unit_types=frozenset({UnitType.OFFSET})),
        limits=GUANGDONG,
    )


def guangdong_request(quantity: int) -> TransferRequest:
    return request(
        seller_account="CN-SZ/windfarm",
        buyer_account="CN-GD/cement",
        unit_class=UnitClass("CN-SZ", UnitType.OFFSET, 2024),
        quantity=quantity,
    )


def uses_of(decision: Approved) -> dict[QuotaCounter, tuple[int, int, int | None]]:
    return {use.counter: (use.current, use.amount, use.limit) for use in decision.quota_uses}


def test_a_link_cap_admits_deliveries_up_to_the_cap_exactly() -> None:
    link = agreement(limits=QuantityLimits(period_cap=10_000))
    assert isinstance(evaluate(request(quantity=1_000), link, usage(link_period_delivered=9_000)), Approved)
    refused = evaluate(request(quantity=1_001), link, usage(link_period_delivered=9_000))
    assert isinstance(refused, Refused) and refused.code is ReasonCode.PERIOD_CAP_EXCEEDED
    assert dict(refused.details) == {"current": 9_000, "amount": 1_001, "limit": 10_000}


def test_caps_count_delivered_tonnes_after_conversion_and_levies() -> None:
    link = agreement(
        conversion=Conversion(exchange_rate=Fraction(2)),
        levies=Levies(share_of_proceeds=Fraction(5, 100), cancellation_share=Fraction(2, 100)),
        limits=QuantityLimits(period_cap=1_860),
    )
    decision = evaluate(request(quantity=1_000), link, usage())
    assert isinstance(decision, Approved)
    assert uses_of(decision)[QuotaCounter.LINK_PERIOD] == (0, 1_860, 1_860)


def test_an_account_cap_applies_per_buyer_and_period() -> None:
    link = agreement(limits=QuantityLimits(account_period_cap=1_500))
    approved = evaluate(request(quantity=1_000), link, usage(account_period_delivered=500))
    assert isinstance(approved, Approved)
    account_use = next(use for use in approved.quota_uses if use.counter is QuotaCounter.ACCOUNT_PERIOD)
    assert (account_use.account, account_use.period, account_use.limit) == ("KR/posco", 2025, 1_500)
    refused = evaluate(request(quantity=1_000), link, usage(account_period_delivered=501))
    assert isinstance(refused, Refused) and refused.code is ReasonCode.ACCOUNT_CAP_EXCEEDED


def test_korea_phase_3_admits_foreign_units_up_to_five_percent_of_the_obligation() -> None:
    link = agreement(limits=KOREA_PHASE_3)
    at_limit = evaluate(request(quantity=1_000), link, usage(obligation=100_000, obligation_units_counted=4_000))
    assert isinstance(at_limit, Approved)
    assert uses_of(at_limit)[QuotaCounter.OBLIGATION_SHARE] == (4_000, 1_000, 5_000)
    over = evaluate(request(quantity=1_000), link, usage(obligation=100_000, obligation_units_counted=4_001))
    assert isinstance(over, Refused) and over.code is ReasonCode.OBLIGATION_SHARE_EXCEEDED


def test_the_obligation_share_limit_rounds_down() -> None:
    link = agreement(limits=KOREA_PHASE_3)
    # 5% of 19,999 is 999.95: 999 units at most
    assert isinstance(evaluate(request(quantity=999), link, usage(obligation=19_999)), Approved)
    over = evaluate(request(quantity=1_000), link, usage(obligation=19_999))
    assert over.code is ReasonCode.OBLIGATION_SHARE_EXCEEDED


def test_an_account_without_obligation_may_not_import_under_an_obligation_share_rule() -> None:
    decision = evaluate(request(quantity=1), agreement(limits=KOREA_PHASE_3), usage(obligation=0))
    assert decision.code is ReasonCode.OBLIGATION_SHARE_EXCEEDED


def test_guangdong_admits_foreign_offsets_while_at_least_seventy_percent_stay_local() -> None:
    # obligation 100,000: offsets <= 10,000; with 7,000 local offsets, foreign <= 3,000
    counters = usage(obligation=100_000, obligation_units_counted=7_000, local_units_counted=7_000)
    decision = evaluate(guangdong_request(3_000), guangdong_link(), counters)
    assert isinstance(decision, Approved)
    assert uses_of(decision)[QuotaCounter.FOREIGN_ORIGIN] == (0, 3_000, 3_000)
    assert uses_of(decision)[QuotaCounter.OBLIGATION_SHARE] == (7_000, 3_000, 10_000)


def test_guangdong_refuses_the_foreign_offset_that_would_bring_local_below_seventy_percent() -> None:
    # obligation 200,000: offsets <= 20,000, so only the local share binds
    counters = usage(obligation=200_000, obligation_units_counted=7_000, local_units_counted=7_000)
    decision = evaluate(guangdong_request(3_001), guangdong_link(), counters)
    assert isinstance(decision, Refused) and decision.code is ReasonCode.LOCAL_ORIGIN_SHARE_BREACHED


def test_guangdong_ten_percent_cap_binds_before_the_local_share_when_local_offsets_abound() -> None:
    counters = usage(obligation=100_000, obligation_units_counted=9_500, local_units_counted=9_500)
    decision = evaluate(guangdong_request(501), guangdong_link(), counters)
    assert decision.code is ReasonCode.OBLIGATION_SHARE_EXCEEDED


def test_the_local_origin_rule_does_not_apply_to_units_returning_to_their_origin() -> None:
    local_offsets = Eligibility(unit_types=frozenset({UnitType.OFFSET}), origins=frozenset({"CN-GD"}))
    link = replace(guangdong_link(), eligibility=local_offsets)
    returning = replace(guangdong_request(100), unit_class=UnitClass("CN-GD", UnitType.OFFSET, 2024))
    decision = evaluate(returning, link, usage(obligation=100_000))
    assert isinstance(decision, Approved)
    local_check = next(outcome for outcome in decision.checks if outcome.check is Check.LOCAL_ORIGIN_SHARE)
    assert local_check.outcome is Outcome.NOT_APPLICABLE


def test_a_wci_style_holding_limit_refuses_a_transfer_that_would_breach_it() -> None:
    limit = 5_945_000  # California-Quebec holding limit, 2013
    room_for_1000 = usage(receiver_holding=limit - 1_000, receiver_holding_limit=limit)
    assert isinstance(evaluate(request(quantity=1_000), agreement(), room_for_1000), Approved)
    decision = evaluate(request(), agreement(), usage(receiver_holding=limit - 999, receiver_holding_limit=limit))
    assert decision.code is ReasonCode.HOLDING_LIMIT_EXCEEDED


def test_an_approval_without_limits_still_counts_link_and_account_usage() -> None:
    decision = evaluate(request(), agreement(), usage())
    assert isinstance(decision, Approved)
    assert uses_of(decision) == {
        QuotaCounter.LINK_PERIOD: (0, 1_000, None),
        QuotaCounter.ACCOUNT_PERIOD: (0, 1_000, None),
    }


ALL_LIMITS = agreement(
    conversion=Conversion(exchange_rate=Fraction(2)),
    levies=Levies(share_of_proceeds=Fraction(5, 100), cancellation_share=Fraction(2, 100)),
    limits=QuantityLimits(
        period_cap=50_000,
        account_period_cap=20_000,
        obligation_share=Fraction(1, 10),
        local_origin_min_share=Fraction(7, 10),
    ),
)


def apply(counters: Usage, decision: Approved) -> Usage:
    """What the executor does with an approval's quota uses (the non-atomic, single-threaded model of it)."""
    added = {use.counter: use.amount for use in decision.quota_uses}
    return replace(
        counters,
        link_period_delivered=counters.link_period_delivered + added[QuotaCounter.LINK_PERIOD],
        account_period_delivered=counters.account_period_delivered + added[QuotaCounter.ACCOUNT_PERIOD],
        obligation_units_counted=counters.obligation_units_counted + added[QuotaCounter.OBLIGATION_SHARE],
        foreign_units_counted=counters.foreign_units_counted + added[QuotaCounter.FOREIGN_ORIGIN],
        receiver_holding=counters.receiver_holding + added[QuotaCounter.HOLDING],
        sender_held=counters.sender_held - decision.quantities.consumed,
    )


@settings(max_examples=150, deadline=None)
@given(
    quantities=st.lists(st.integers(min_value=1, max_value=6_000), min_size=1, max_size=30),
    obligation=st.integers(min_value=0, max_value=400_000),
    local=st.integers(min_value=0, max_value=40_000),
    holding_limit=st.integers(min_value=0, max_value=60_000),
)
def test_no_sequence_of_approvals_exceeds_any_quota(
    quantities: list[int], obligation: int, local: int, holding_limit: int
) -> None:
    counters = usage(obligation=obligation, local_units_counted=local, receiver_holding_limit=holding_limit)
    limits = ALL_LIMITS.limits
    for i, quantity in enumerate(quantities):
        decision = evaluate(request(trade_id=f"T{i}", quantity=quantity), ALL_LIMITS, counters)
        if not isinstance(decision, Approved):
            assert isinstance(decision, Refused)
            continue
        assert all(use.limit is None or use.current + use.amount <= use.limit for use in decision.quota_uses)
        counters = apply(counters, decision)
        assert counters.link_period_delivered <= limits.period_cap
        assert counters.account_period_delivered <= limits.account_period_cap
        assert counters.obligation_units_counted <= obligation * limits.obligation_share
        foreign, local_counted = counters.foreign_units_counted, counters.local_units_counted
        assert foreign <= (1 - limits.local_origin_min_share) * (foreign + local_counted)
        assert counters.receiver_holding <= holding_limit
