"""Pre-trade rules and amend reservations, without servers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.order_entry import pretrade
from services.order_entry.pretrade import Refusal, Terms
from shared.fees import FeeSchedule, buy_reservation, fill_portion, reserved_share
from shared.messages.vocabulary import OrderType, Phase, Side, TimeInForce
from shared.reference import Instrument

INSTRUMENT = Instrument(id="BJEA", registry="CN-BJ", currency="CNY",
                        unit={"origin": "CN-BJ", "type": "ALLOWANCE", "vintage": 2025}, tick=5, lot=10,
                        min_quantity=10, max_quantity=1000, band="1/10", reference_price=5000,
                        fees={"maker_bps": 10, "taker_bps": 20, "min_fee": 100}, phase=Phase.CONTINUOUS)


def terms(**overrides) -> Terms:
    base = dict(side=Side.BUY, order_type=OrderType.LIMIT, time_in_force=TimeInForce.GTC, price=5000, quantity=100)
    return Terms(**(base | overrides))


def refusal_code(**overrides) -> str | None:
    try:
        pretrade.check_order(terms(**overrides), INSTRUMENT, phase=overrides.pop("phase", Phase.CONTINUOUS)
                             if "phase" in overrides else Phase.CONTINUOUS, reference=5000, now=1000)
    except Refusal as refusal:
        return refusal.code
    return None


def test_the_band_is_inclusive_and_rounds_inward() -> None:
    assert INSTRUMENT.band_limits(5001) == (4501, 5501)
    assert INSTRUMENT.model_copy(update={"band": None}).band_limits(5000) is None


@pytest.mark.parametrize(("overrides", "code"), [
    ({}, None),
    ({"price": 5003}, "PRICE_NOT_ON_TICK"),
    ({"price": 5505}, "PRICE_OUTSIDE_BAND"),
    ({"price": 4500}, None),
    ({"quantity": 15}, "QUANTITY_NOT_ON_LOT"),
    ({"quantity": 1010}, "QUANTITY_ABOVE_MAX"),
    ({"order_type": OrderType.MARKET, "price": None}, None),
    ({"time_in_force": TimeInForce.GTD, "expire_at": 1000}, "EXPIRY_IN_PAST"),
])
def test_check_order_names_the_first_broken_rule(overrides: dict, code: str | None) -> None:
    assert refusal_code(**overrides) == code


@pytest.mark.parametrize("phase", [Phase.CLOSED, Phase.HALTED])
def test_closed_and_halted_markets_take_no_orders(phase: Phase) -> None:
    with pytest.raises(Refusal) as caught:
        pretrade.check_order(terms(), INSTRUMENT, phase=phase, reference=5000, now=0)
    assert caught.value.code == "MARKET_NOT_OPEN"


def test_a_market_buy_reserves_at_the_upper_band_and_a_sell_reserves_units() -> None:
    buy = pretrade.reservation_for(terms(order_type=OrderType.MARKET, price=None), INSTRUMENT, reference=5000)
    assert (buy.asset, buy.limit_price, buy.amount) == ("C:CNY", 5500, 550_000 + 1_100)
    sell = pretrade.reservation_for(terms(side=Side.SELL), INSTRUMENT, reference=5000)
    assert (sell.asset, sell.amount) == ("U:CN-BJ:ALLOWANCE:2025", 100)


def test_the_sessions_band_override_narrows_the_band_the_checks_and_a_market_buys_reservation_use() -> None:
    with pytest.raises(Refusal) as caught:
        pretrade.check_order(terms(price=5205), INSTRUMENT, phase=Phase.CONTINUOUS, reference=5000, now=0,
                             clip=(4000, 5200))
    assert (caught.value.code, caught.value.details) == ("PRICE_OUTSIDE_BAND", {"low": 4500, "high": 5200})
    pretrade.check_order(terms(price=5200), INSTRUMENT, phase=Phase.CONTINUOUS, reference=5000, now=0,
                         clip=(4000, 5200))
    buy = pretrade.reservation_for(terms(order_type=OrderType.MARKET, price=None), INSTRUMENT, reference=5000,
                                   clip=(4000, 5200))
    assert buy.limit_price == 5200


FEES = FeeSchedule(10, 20, 100)


@settings(max_examples=200)
@given(old_price=st.integers(1, 10_000), new_price=st.integers(1, 10_000), filled=st.integers(0, 1000),
       old_leaves=st.integers(1, 1000), new_leaves=st.integers(1, 1000))
def test_after_an_amend_the_rebased_reservation_covers_every_remaining_fill(old_price, new_price, filled, old_leaves,
                                                                            new_leaves) -> None:
    """Settlement rebases the record to a fresh order of the new open quantity at the new limit."""
    held = reserved_share(FEES, limit_price=old_price, filled=filled + old_leaves) - reserved_share(
        FEES, limit_price=old_price, filled=filled)
    increase = pretrade.amend_increase(side=Side.BUY, fees=FEES, old_price=old_price, new_price=new_price,
                                       filled=filled, old_leaves=old_leaves, new_leaves=new_leaves)
    needed = sum(fill_portion(FEES, limit_price=new_price, order_qty=new_leaves, filled_before=f, qty=1)
                 for f in range(new_leaves)) if new_leaves <= 50 else buy_reservation(
        FEES, limit_price=new_price, quantity=new_leaves)
    assert held + increase >= needed
    assert increase == max(0, needed - held)


def test_a_sell_amend_reserves_only_the_extra_units() -> None:
    assert pretrade.amend_increase(side=Side.SELL, fees=FEES, old_price=1, new_price=1, filled=0,
                                   old_leaves=100, new_leaves=130) == 30
    assert pretrade.amend_increase(side=Side.SELL, fees=FEES, old_price=1, new_price=1, filled=0,
                                   old_leaves=100, new_leaves=30) == 0
