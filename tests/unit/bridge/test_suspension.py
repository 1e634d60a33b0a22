"""Suspension and delinking, Ontario 2018 style: in-flight trades follow the policy, foreign resting orders go."""

from __future__ import annotations

import pytest

from services.bridge.rules import (
    Approved,
    Eligibility,
    InFlightPolicy,
    LinkageAgreement,
    MassCancel,
    ReasonCode,
    SuspensionPolicy,
    TransferRequest,
    UnitClass,
    UnitType,
    evaluate,
    multilateral,
    plan_suspension,
    suspend,
    terminate,
)

from .builders import ms, request, usage

ONTARIO_WITHDRAWAL = ms(2018, 6, 15, 12)
DEALING_BANNED = ms(2018, 7, 3)


def wci(in_flight: InFlightPolicy, *, mass_cancel: bool = True) -> dict[tuple[str, str], LinkageAgreement]:
    rules = multilateral(
        link_id="WCI",
        group="WCI",
        members=["US-CA", "CA-QC", "CA-ON"],
        effective_from=ms(2018, 1, 1),
        eligibility=Eligibility(unit_types=frozenset({UnitType.ALLOWANCE})),
        suspension=SuspensionPolicy(in_flight=in_flight, mass_cancel_resting=mass_cancel),
    )
    return {(rule.from_registry, rule.to_registry): rule for rule in rules}


def ontario_sale(*, matched_at: int, time: int, trade_id: str = "ON-A18:T1") -> TransferRequest:
    return request(
        trade_id=trade_id,
        seller_account="CA-ON/refinery",
        buyer_account="US-CA/utility",
        unit_class=UnitClass("CA-ON", UnitType.ALLOWANCE, 2018),
        matched_at=matched_at,
        time=time,
    )


def ontario_rules(rules: dict[tuple[str, str], LinkageAgreement]) -> list[LinkageAgreement]:
    return [suspend(rule, at=ONTARIO_WITHDRAWAL) for key, rule in rules.items() if "CA-ON" in key]


def test_with_policy_settle_a_trade_matched_before_the_suspension_still_settles() -> None:
    link = suspend(wci(InFlightPolicy.SETTLE)[("CA-ON", "US-CA")], at=ONTARIO_WITHDRAWAL)
    matched_just_before = ontario_sale(matched_at=ONTARIO_WITHDRAWAL - 1, time=ONTARIO_WITHDRAWAL + 60_000)
    decision = evaluate(matched_just_before, link, usage())
    assert isinstance(decision, Approved)


def test_with_policy_settle_a_trade_matched_at_or_after_the_suspension_is_refused() -> None:
    link = suspend(wci(InFlightPolicy.SETTLE)[("CA-ON", "US-CA")], at=ONTARIO_WITHDRAWAL)
    decision = evaluate(ontario_sale(matched_at=ONTARIO_WITHDRAWAL, time=ONTARIO_WITHDRAWAL + 60_000), link, usage())
    assert decision.code is ReasonCode.LINK_SUSPENDED


def test_with_policy_refuse_every_in_flight_trade_is_refused() -> None:
    link = suspend(wci(InFlightPolicy.REFUSE)[("CA-ON", "US-CA")], at=ONTARIO_WITHDRAWAL)
    matched_just_before = ontario_sale(matched_at=ONTARIO_WITHDRAWAL - 1, time=ONTARIO_WITHDRAWAL + 60_000)
    decision = evaluate(matched_just_before, link, usage())
    assert decision.code is ReasonCode.LINK_SUSPENDED
    assert dict(decision.details)["in_flight_policy"] == "REFUSE"


def test_after_termination_no_trade_settles_whatever_the_policy() -> None:
    link = terminate(suspend(wci(InFlightPolicy.SETTLE)[("CA-ON", "US-CA")], at=ONTARIO_WITHDRAWAL))
    decision = evaluate(ontario_sale(matched_at=ONTARIO_WITHDRAWAL - 1, time=DEALING_BANNED), link, usage())
    assert decision.code is ReasonCode.LINK_TERMINATED


def test_links_between_the_remaining_members_are_untouched() -> None:
    california_to_quebec = wci(InFlightPolicy.REFUSE)[("US-CA", "CA-QC")]
    sale = request(
        seller_account="US-CA/utility",
        buyer_account="CA-QC/aluminium",
        unit_class=UnitClass("US-CA", UnitType.ALLOWANCE, 2018),
        matched_at=ONTARIO_WITHDRAWAL,
        time=ONTARIO_WITHDRAWAL + 60_000,
    )
    assert isinstance(evaluate(sale, california_to_quebec, usage()), Approved)


def test_the_suspension_plan_sorts_in_flight_trades_by_the_policy() -> None:
    rules = ontario_rules(wci(InFlightPolicy.SETTLE))
    before = ontario_sale(matched_at=ONTARIO_WITHDRAWAL - 1, time=ONTARIO_WITHDRAWAL, trade_id="before")
    after = ontario_sale(matched_at=ONTARIO_WITHDRAWAL + 1, time=ONTARIO_WITHDRAWAL + 2, trade_id="after")
    plan = plan_suspension(rules, [before, after])
    assert (plan.settle, plan.refuse) == (("before",), ("after",))


def test_the_suspension_plan_mass_cancels_the_receiving_side_of_each_suspended_direction() -> None:
    plan = plan_suspension(ontario_rules(wci(InFlightPolicy.REFUSE)), [])
    cancels = {(c.account_registry, c.held_in) for c in plan.mass_cancel}
    # Californian and Quebec buyers of Ontario units; Ontario buyers of Californian and Quebec units
    assert cancels == {("US-CA", "CA-ON"), ("CA-QC", "CA-ON"), ("CA-ON", "US-CA"), ("CA-ON", "CA-QC")}
    assert all(
        cancel == MassCancel(
            link_id="WCI",
            account_registry=cancel.account_registry,
            held_in=cancel.held_in,
            unit_origins=frozenset({cancel.held_in}),
            unit_types=frozenset({UnitType.ALLOWANCE}),
        )
        for cancel in plan.mass_cancel
    )


def test_without_mass_cancel_resting_orders_stay() -> None:
    assert plan_suspension(ontario_rules(wci(InFlightPolicy.REFUSE, mass_cancel=False)), []).mass_cancel == ()


def test_a_plan_is_only_made_for_suspended_or_terminated_rules() -> None:
    with pytest.raises(ValueError):
        plan_suspension(list(wci(InFlightPolicy.REFUSE).values()), [])


def test_a_trade_on_another_link_is_not_part_of_the_plan() -> None:
    seoul_buy = request()
    with pytest.raises(ValueError):
        plan_suspension(ontario_rules(wci(InFlightPolicy.REFUSE)), [seoul_buy])
