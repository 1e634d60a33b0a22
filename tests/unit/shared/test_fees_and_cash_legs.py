"""Settlement rules: fees, buyer reservations, per-fill portions and price improvement."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.cash_legs import fill_cash, seller_leg, split_buyer_portion
from shared.fees import FeeSchedule, buy_reservation, fill_portion

schedules = st.builds(
    FeeSchedule,
    maker_bps=st.integers(0, 50),
    taker_bps=st.integers(0, 100),
    min_fee=st.integers(0, 5_000),
)


@st.composite
def filled_orders(draw: st.DrawFn) -> tuple[FeeSchedule, int, int, list[tuple[int, int, bool]]]:
    """A schedule, a buy order (limit, qty), and fills (qty, price ≤ limit, buyer is maker) covering part or all."""
    schedule = draw(schedules)
    limit = draw(st.integers(1, 2_000_000))
    qty = draw(st.integers(1, 100_000))
    fills = []
    left = qty
    while left and draw(st.booleans() | st.just(True)) and len(fills) < 12:
        q = draw(st.integers(1, left))
        fills.append((q, draw(st.integers(1, limit)), draw(st.booleans())))
        left -= q
    return schedule, limit, qty, fills


def test_a_fee_is_the_rate_on_the_notional_floored_to_the_minor_unit() -> None:
    schedule = FeeSchedule(maker_bps=5, taker_bps=10)
    assert schedule.fee(199_999, maker=False) == 199
    assert schedule.fee(199_999, maker=True) == 99


def test_a_fee_is_at_least_the_minimum_fee_except_on_nothing() -> None:
    schedule = FeeSchedule(maker_bps=5, taker_bps=10, min_fee=100)
    assert schedule.fee(10_000, maker=False) == 100
    assert schedule.fee(0, maker=False) == 0


def test_a_buy_reserves_limit_times_quantity_plus_the_fee_at_the_higher_rate() -> None:
    schedule = FeeSchedule(maker_bps=5, taker_bps=10)
    assert buy_reservation(schedule, limit_price=5_000, quantity=100) == 500_000 + 500


def test_a_buyer_never_pays_above_its_limit() -> None:
    with pytest.raises(ValueError):
        split_buyer_portion(FeeSchedule(0, 0), portion=1_000, limit_price=10, qty=100, price=11, maker=True)


def test_a_fill_larger_than_what_is_left_of_the_order_is_refused() -> None:
    with pytest.raises(ValueError):
        fill_portion(FeeSchedule(0, 0), limit_price=10, order_qty=100, filled_before=90, qty=20)


def test_a_seller_fee_never_exceeds_its_proceeds() -> None:
    leg = seller_leg(FeeSchedule(maker_bps=0, taker_bps=0, min_fee=1_000), price=3, qty=2, maker=True)
    assert (leg.fee, leg.received) == (6, 0)


def test_price_improvement_is_released_to_the_buyer() -> None:
    cash = fill_cash(
        FeeSchedule(maker_bps=0, taker_bps=0),
        limit_price=5_000,
        order_qty=100,
        filled_before=0,
        qty=40,
        price=4_900,
        buyer_is_maker=False,
    )
    assert (cash.buyer.consumed, cash.buyer.paid, cash.buyer.released) == (200_000, 196_000, 4_000)


@settings(max_examples=150, deadline=None)
@given(filled_orders())
def test_fills_consume_at_most_the_reservation_and_all_of_it_when_the_order_is_filled(order) -> None:
    schedule, limit, qty, fills = order
    reservation = buy_reservation(schedule, limit_price=limit, quantity=qty)
    filled = consumed = 0
    for q, price, maker in fills:
        cash = fill_cash(
            schedule, limit_price=limit, order_qty=qty, filled_before=filled, qty=q, price=price, buyer_is_maker=maker
        )
        filled += q
        consumed += cash.buyer.consumed
        assert consumed <= reservation
    if filled == qty:
        assert consumed == reservation


@settings(max_examples=150, deadline=None)
@given(filled_orders())
def test_every_fill_conserves_cash_and_releases_no_negative_improvement(order) -> None:
    schedule, limit, qty, fills = order
    filled = 0
    for q, price, maker in fills:
        cash = fill_cash(
            schedule, limit_price=limit, order_qty=qty, filled_before=filled, qty=q, price=price, buyer_is_maker=maker
        )
        filled += q
        assert cash.buyer.released >= 0
        assert cash.buyer.consumed == cash.buyer.paid + cash.buyer.released
        assert cash.buyer.paid == cash.seller.received + cash.fees
        assert cash.seller.received >= 0


@settings(max_examples=200, deadline=None)
@given(schedules, st.integers(0, 10**12), st.booleans())
def test_fees_floor_and_respect_the_minimum(schedule: FeeSchedule, notional: int, maker: bool) -> None:
    bps = schedule.maker_bps if maker else schedule.taker_bps
    fee = schedule.fee(notional, maker=maker)
    if notional == 0:
        assert fee == 0
    else:
        assert fee == max(schedule.min_fee, notional * bps // 10_000)
        assert fee * 10_000 <= max(schedule.min_fee * 10_000, notional * bps)
