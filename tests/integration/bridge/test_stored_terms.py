"""Stored linkage terms become the rule engine's directed rules (pure: no server needed)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from services.bridge import rules
from services.bridge.agreements import LocalCalendar, directed_rules, offset_ms
from shared.reference import Calendar, Caps, SuspensionPolicy
from tests.integration.bridge.books import MONDAY_3_MARCH_2025, link, ms


def test_a_unilateral_link_is_one_directed_rule_with_exact_terms() -> None:
    [rule] = directed_rules(link(discount="0.05", caps=Caps(per_period=2_000, share_of_obligation="0.05")))

    assert (rule.from_registry, rule.to_registry, rule.kind) == ("CN-BJ", "KR", rules.LinkKind.UNILATERAL)
    assert rule.conversion.factor == Fraction(19, 10)
    assert rule.levies == rules.Levies(Fraction(1, 20), Fraction(1, 50))
    assert rule.limits == rules.QuantityLimits(period_cap=2_000, obligation_share=Fraction(1, 20))
    assert rule.calendar.is_immediate and rule.corresponding_adjustment


def test_a_bilateral_link_is_two_directed_rules_and_a_multilateral_one_every_ordered_pair() -> None:
    bilateral = directed_rules(link(kind="BILATERAL"))
    multilateral = directed_rules(link(kind="MULTILATERAL", from_registry=None, to_registry=None,
                                       members=("CN-BJ", "KR", "JP-TYO")))

    assert {(r.from_registry, r.to_registry) for r in bilateral} == {("CN-BJ", "KR"), ("KR", "CN-BJ")}
    assert len(multilateral) == 6 and {r.link_id for r in multilateral} == {"BJ-KR"}


def test_a_suspended_link_keeps_its_moment_and_policy() -> None:
    [rule] = directed_rules(link(status="SUSPENDED", suspended_at=1_000,
                                 suspension=SuspensionPolicy(in_flight="SETTLE")))

    assert rule.status is rules.LinkStatus.SUSPENDED and rule.suspended_at == 1_000
    assert rules.settles_despite_suspension(rule, 999) and not rules.settles_despite_suspension(rule, 1_000)


def test_the_worked_example_delivers_1860_of_1000_sent_at_2_to_1_with_5_and_2_percent() -> None:
    [rule] = directed_rules(link())
    request = rules.TransferRequest(trade_id="T", seller_account="CN-BJ/a", buyer_account="KR/b",
                                    unit_class=rules.UnitClass("CN-BJ", rules.UnitType.ALLOWANCE, 2025),
                                    quantity=1_000, matched_at=MONDAY_3_MARCH_2025, time=MONDAY_3_MARCH_2025)

    decision = rules.evaluate(request, rule, rules.Usage(sender_held=1_000))

    assert isinstance(decision, rules.Approved)
    assert (decision.quantities.delivered, decision.quantities.levy, decision.quantities.cancelled) == (1_860, 100, 40)


def test_weekdays_in_a_local_time_zone_open_at_local_midnight() -> None:
    [rule] = directed_rules(link(calendar=Calendar(weekdays=("TUE",), utc_offset="+09:00")))

    assert isinstance(rule.calendar, LocalCalendar)
    assert rule.calendar.next_opening(MONDAY_3_MARCH_2025) == ms(2025, 3, 3, 15)
    assert offset_ms("-05:30") == -(5 * 60 + 30) * 60_000


@settings(max_examples=200, deadline=None)
@given(time=st.integers(min_value=0, max_value=4_000_000_000_000),
       offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
       days=st.sets(st.sampled_from(("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")), min_size=1))
def test_a_local_calendar_opens_at_or_after_the_time_and_is_open_then(
    time: int, offset_minutes: int, days: set[str]
) -> None:
    sign = "-" if offset_minutes < 0 else "+"
    offset = f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    [rule] = directed_rules(link(calendar=Calendar(weekdays=tuple(sorted(days)), utc_offset=offset)))

    opening = rule.calendar.next_opening(time)

    assert opening >= time and rule.calendar.is_open(opening)
    assert opening == time or not rule.calendar.is_open(opening - 1)
