"""Settlement calendars: immediate links, and EU-Swiss style Tuesday/Thursday windows that defer settlement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.bridge.rules import (
    Approved,
    Deferred,
    SettlementCalendar,
    TransferRequest,
    UnitClass,
    UnitType,
    Weekday,
    bilateral,
    calendar_year,
    evaluate,
    weekday_of,
)

from .builders import JAN_1_2025, ms, request, usage

EU_SWISS = SettlementCalendar.windows(weekdays={Weekday.TUESDAY, Weekday.THURSDAY})
EU_CH, _ = bilateral(
    link_id="EU-CH",
    registries=("EU", "CH"),
    effective_from=ms(2020, 1, 1),
    calendar=EU_SWISS,
)


def eu_swiss_request(time: int) -> TransferRequest:
    return request(
        seller_account="EU/verbund",
        buyer_account="CH/holcim",
        unit_class=UnitClass("EU", UnitType.ALLOWANCE, 2024),
        matched_at=time,
        time=time,
    )


def test_a_transfer_on_a_tuesday_settles_at_once() -> None:
    assert isinstance(evaluate(eu_swiss_request(ms(2025, 3, 4, 10)), EU_CH, usage()), Approved)


def test_a_transfer_on_a_friday_waits_for_the_next_tuesday() -> None:
    decision = evaluate(eu_swiss_request(ms(2025, 3, 7, 15)), EU_CH, usage())
    assert isinstance(decision, Deferred)
    assert decision.retry_at == ms(2025, 3, 11)


def test_a_transfer_on_a_wednesday_waits_for_thursday_and_then_settles() -> None:
    deferred = evaluate(eu_swiss_request(ms(2025, 3, 5, 9)), EU_CH, usage())
    assert isinstance(deferred, Deferred) and deferred.retry_at == ms(2025, 3, 6)
    assert isinstance(evaluate(eu_swiss_request(deferred.retry_at), EU_CH, usage()), Approved)


def test_a_time_of_day_window_opens_and_closes_in_utc() -> None:
    calendar = SettlementCalendar.windows(weekdays={Weekday.TUESDAY}, opens_at_minute=9 * 60, closes_at_minute=17 * 60)
    assert calendar.next_opening(ms(2025, 3, 4, 8, 59)) == ms(2025, 3, 4, 9)
    assert calendar.is_open(ms(2025, 3, 4, 16, 59))
    assert calendar.next_opening(ms(2025, 3, 4, 17)) == ms(2025, 3, 11, 9)


def test_the_immediate_calendar_is_always_open() -> None:
    calendar = SettlementCalendar.immediate()
    assert calendar.is_immediate
    assert calendar.next_opening(ms(2025, 3, 8, 23, 59)) == ms(2025, 3, 8, 23, 59)


@pytest.mark.parametrize(
    "build",
    [
        lambda: SettlementCalendar.windows(weekdays=set()),
        lambda: SettlementCalendar.windows(weekdays={Weekday.MONDAY}, opens_at_minute=600, closes_at_minute=600),
        lambda: SettlementCalendar.windows(weekdays={Weekday.MONDAY}, closes_at_minute=1_441),
    ],
    ids=["no weekday", "empty window", "past midnight"],
)
def test_calendars_that_never_open_are_rejected(build: Callable[[], SettlementCalendar]) -> None:
    with pytest.raises(ValueError):
        build()


times = st.integers(min_value=0, max_value=ms(2100, 1, 1))


@settings(max_examples=300, deadline=None)
@given(time=times)
def test_weekday_and_period_arithmetic_agree_with_the_calendar(time: int) -> None:
    moment = datetime.fromtimestamp(time / 1000, tz=UTC)
    assert weekday_of(time) == moment.weekday()
    assert calendar_year(time) == moment.year


@settings(max_examples=300, deadline=None)
@given(
    time=times,
    weekdays=st.frozensets(st.sampled_from(list(Weekday)), min_size=1),
    window=st.tuples(st.integers(0, 1_439), st.integers(1, 1_440)).filter(lambda w: w[0] < w[1]),
)
def test_the_next_opening_is_open_and_nothing_earlier_is(
    time: int, weekdays: frozenset[Weekday], window: tuple[int, int]
) -> None:
    calendar = SettlementCalendar(weekdays, *window)
    opening = calendar.next_opening(time)
    assert opening >= time and calendar.is_open(opening)
    if opening > time:
        assert opening % 60_000 == 0
        assert not calendar.is_open(opening - 1)
        # closed in between: sample every hour from the request to the opening
        assert not any(calendar.is_open(t) for t in range(time, opening, 3_600_000))


def test_jan_first_2025_is_a_wednesday() -> None:
    assert weekday_of(JAN_1_2025) is Weekday.WEDNESDAY
