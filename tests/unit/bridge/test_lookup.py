"""Finding the directed rule that applies: unilateral, bilateral pairs, multilateral groups, versions by date."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from services.bridge.rules import (
    LinkageAgreement,
    LinkKind,
    LinkStatus,
    UnitClass,
    UnitType,
    bilateral,
    find_agreement,
    multilateral,
    suspend,
    unilateral,
)

from .builders import JAN_1_2025, TUESDAY_4_MARCH_2025, ms

TOKYO_SAITAMA = bilateral(link_id="TYO-STM", registries=("JP-TYO", "JP-STM"), effective_from=ms(2011, 4, 1))
WCI = multilateral(link_id="WCI", group="WCI", members=["US-CA", "CA-QC", "CA-ON"], effective_from=ms(2018, 1, 1))
BEIJING_TO_SEOUL = unilateral(link_id="BJ-KR", from_registry="CN-BJ", to_registry="KR", effective_from=JAN_1_2025)
ALL = (*TOKYO_SAITAMA, *WCI, BEIJING_TO_SEOUL)


def find(
    from_registry: str,
    to_registry: str,
    *,
    agreements: Iterable[LinkageAgreement] = ALL,
    time: int = TUESDAY_4_MARCH_2025,
) -> LinkageAgreement | None:
    return find_agreement(
        agreements,
        from_registry=from_registry,
        to_registry=to_registry,
        unit_class=UnitClass(from_registry, UnitType.ALLOWANCE, 2024),
        time=time,
    )


def test_a_bilateral_link_is_two_directed_rules_sharing_a_link_id() -> None:
    there, back = find("JP-TYO", "JP-STM"), find("JP-STM", "JP-TYO")
    assert there.link_id == back.link_id == "TYO-STM"
    assert there.kind is back.kind is LinkKind.BILATERAL


def test_a_multilateral_link_covers_every_ordered_pair_of_members() -> None:
    members = ["US-CA", "CA-QC", "CA-ON"]
    assert len(WCI) == 6
    for a in members:
        for b in members:
            if a != b:
                rule = find(a, b)
                assert (rule.link_id, rule.group, rule.kind) == ("WCI", "WCI", LinkKind.MULTILATERAL)


def test_a_unilateral_link_has_no_way_back() -> None:
    assert find("CN-BJ", "KR").link_id == "BJ-KR"
    assert find("KR", "CN-BJ") is None


def test_the_version_in_force_wins_over_earlier_and_later_ones() -> None:
    old = replace(BEIJING_TO_SEOUL, effective_until=JAN_1_2025 + 1)
    current = replace(BEIJING_TO_SEOUL, effective_from=JAN_1_2025 + 1, effective_until=ms(2026, 1, 1))
    future = replace(BEIJING_TO_SEOUL, effective_from=ms(2026, 1, 1))
    assert find("CN-BJ", "KR", agreements=(old, future, current)) is current


def test_an_active_rule_wins_over_a_suspended_one_for_the_same_pair() -> None:
    suspended_bilateral = suspend(TOKYO_SAITAMA[0], at=JAN_1_2025)
    other = replace(TOKYO_SAITAMA[0], link_id="TYO-STM-2")
    assert find("JP-TYO", "JP-STM", agreements=(suspended_bilateral, other)).status is LinkStatus.ACTIVE


def test_a_lone_rule_that_does_not_fit_is_still_found_so_the_refusal_is_precise() -> None:
    assert find("CN-BJ", "KR", time=JAN_1_2025 - 1) is BEIJING_TO_SEOUL


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_the_choice_does_not_depend_on_the_order_of_the_agreements(seed: int) -> None:
    shuffled = list(ALL) + [replace(rule, link_id="ZZ") for rule in WCI]
    random.Random(seed).shuffle(shuffled)
    for a, b in [("US-CA", "CA-ON"), ("JP-STM", "JP-TYO"), ("CN-BJ", "KR")]:
        assert find(a, b, agreements=shuffled) == find(a, b, agreements=sorted(shuffled, key=repr))
