"""Every rejection reason code, each reached by a command that deserves it."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.core import (AmendOrder, CancelOrder, ChangePhase, CommandRejected, OrderAccepted,
                                    OrderRejected, SetReferencePrice, SubmitOrder)
from services.matching.core import reasons as r
from services.matching.core.validation import submit_reason
from services.matching.core.vocabulary import (BUY, CLOSED, CONTINUOUS, FOK, GTD, HALTED, IOC, MARKET, POST_ONLY,
                                               PRE_OPEN, SELL)
from shared.messages.vocabulary import OrderType, Side, TimeInForce

from tests.unit.matching.support import buy, make_engine, run, sell

# Reasons that depend on the book, not on the order alone (submit_reason does not give them).
CONTINUOUS_ONLY_REASONS = {r.NO_LIQUIDITY, r.POST_ONLY_WOULD_TAKE, r.FOK_NOT_FILLABLE}

# (code, engine settings, commands whose last event is the rejection)
CASES = [
    (r.UNKNOWN_ORDER, {}, [CancelOrder("ghost")]),
    (r.UNKNOWN_ORDER, {}, [AmendOrder("ghost", quantity=3)]),
    (r.DUPLICATE_ORDER_ID, {}, [buy("a", 1, 100), buy("a", 1, 100)]),
    (r.DUPLICATE_ORDER_ID, {}, [buy("a", 1, 100), CancelOrder("a"), buy("a", 1, 100)]),
    (r.INVALID_ORDER_ID, {}, [buy("", 1, 100)]),
    (r.INVALID_ACCOUNT, {}, [buy("a", 1, 100, account="")]),
    (r.INVALID_SIDE, {}, [SubmitOrder(order_id="a", account="X/y", side="HOLD", quantity=1, price=1)]),
    (r.INVALID_ORDER_TYPE, {}, [buy("a", 1, 100, order_type="STOP")]),
    (r.INVALID_TIME_IN_FORCE, {}, [buy("a", 1, 100, time_in_force="GTX")]),
    (r.INVALID_TIME_IN_FORCE, {}, [buy("a", 1, 100, order_type=POST_ONLY, time_in_force=IOC)]),
    (r.INVALID_STP_MODE, {}, [buy("a", 1, 100, stp="SOMETIMES")]),
    (r.INVALID_QUANTITY, {}, [buy("a", 0, 100)]),
    (r.INVALID_QUANTITY, {}, [buy("a", -3, 100)]),
    (r.INVALID_QUANTITY, {}, [buy("a", "5", 100)]),
    (r.INVALID_QUANTITY, {}, [buy("a", 5, 100), AmendOrder("a", quantity=0)]),
    (r.INVALID_PRICE, {}, [buy("a", 1, None)]),
    (r.INVALID_PRICE, {}, [buy("a", 1, 0)]),
    (r.INVALID_PRICE, {}, [sell("s", 1, 100), buy("a", 1, 100, order_type=MARKET, time_in_force=IOC)]),
    (r.INVALID_PRICE, {}, [SetReferencePrice(price=-1)]),
    (r.INVALID_EXPIRY, {}, [buy("a", 1, 100, time_in_force=GTD)]),
    (r.INVALID_EXPIRY, {}, [buy("a", 1, 100, time_in_force=GTD, expire_at=50, ts=50)]),
    (r.PRICE_NOT_ON_TICK, {"tick": 5}, [buy("a", 1, 102)]),
    (r.PRICE_NOT_ON_TICK, {"tick": 5}, [buy("a", 1, 100), AmendOrder("a", price=101)]),
    (r.QUANTITY_NOT_ON_LOT, {"lot": 10}, [buy("a", 15, 100)]),
    (r.QUANTITY_BELOW_MIN, {"min_quantity": 10}, [buy("a", 9, 100)]),
    (r.QUANTITY_ABOVE_MAX, {"max_quantity": 100}, [buy("a", 101, 100)]),
    (r.QUANTITY_ABOVE_MAX, {"max_quantity": 100}, [buy("a", 100, 100), AmendOrder("a", quantity=101)]),
    (r.PRICE_OUTSIDE_BAND, {"price_band": Fraction(1, 10), "reference_price": 100}, [buy("a", 1, 111)]),
    (r.PRICE_OUTSIDE_BAND, {"price_band": Fraction(1, 10), "reference_price": 100}, [sell("a", 1, 89)]),
    (r.POST_ONLY_WOULD_TAKE, {}, [sell("s", 1, 100), buy("p", 1, 100, order_type=POST_ONLY)]),
    (r.POST_ONLY_WOULD_TAKE, {}, [sell("s", 1, 100), buy("p", 1, 99, order_type=POST_ONLY), AmendOrder("p", price=100)]),
    (r.FOK_NOT_FILLABLE, {}, [sell("s", 4, 100), buy("f", 5, 100, time_in_force=FOK)]),
    (r.FOK_NOT_FILLABLE, {}, [sell("s", 5, 101), buy("f", 5, 100, time_in_force=FOK)]),
    (r.NO_LIQUIDITY, {}, [buy("m", 5, order_type=MARKET, time_in_force=IOC)]),
    (r.MARKET_CLOSED, {"phase": CLOSED}, [buy("a", 1, 100)]),
    (r.MARKET_CLOSED, {}, [buy("a", 1, 100), ChangePhase(phase=CLOSED), AmendOrder("a", quantity=1)]),
    (r.INSTRUMENT_HALTED, {"phase": HALTED}, [buy("a", 1, 100)]),
    (r.INSTRUMENT_HALTED, {}, [buy("a", 1, 100), ChangePhase(phase=HALTED), AmendOrder("a", price=99)]),
    (r.ORDER_TYPE_NOT_ALLOWED_IN_PHASE, {"phase": PRE_OPEN}, [buy("a", 1, 100, time_in_force=IOC)]),
    (r.ORDER_TYPE_NOT_ALLOWED_IN_PHASE, {"phase": PRE_OPEN}, [buy("a", 1, order_type=MARKET, time_in_force=IOC)]),
    (r.INVALID_PHASE, {}, [ChangePhase(phase="LUNCH")]),
    (r.INVALID_PHASE_TRANSITION, {"phase": CLOSED}, [ChangePhase(phase=HALTED)]),
    (r.INVALID_MIN_FILL, {}, [buy("a", 5, 100, min_fill=0)]),
    (r.INVALID_MIN_FILL, {}, [buy("a", 5, 100, min_fill="4")]),
    (r.QUANTITY_BELOW_MIN_FILL, {}, [buy("a", 3, 100, min_fill=4)]),
    (r.QUANTITY_BELOW_MIN_FILL, {}, [buy("a", 8, 100, min_fill=4), AmendOrder("a", quantity=3)]),
    (r.FOK_NOT_FILLABLE, {}, [sell("s", 5, 100, min_fill=3), buy("f", 4, 100, time_in_force=FOK)]),
]


@pytest.mark.parametrize(("code", "settings", "commands"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_command_is_rejected_with_its_stable_reason_code(code, settings, commands):
    engine = make_engine(**settings)
    last = run(engine, *commands)[-1]
    assert type(last) in (OrderRejected, CommandRejected)
    assert last.reason == code


def test_every_rejection_code_has_a_test():
    assert {case[0] for case in CASES} == r.REJECTION_CODES


def test_a_rejected_order_carries_account_side_and_quantity_for_reservation_release():
    engine = make_engine(phase=CLOSED)
    [rejected] = run(engine, sell("s", 7, 100, account="KR/k"))
    assert (rejected.order_id, rejected.account, rejected.side, rejected.remaining_quantity) == ("s", "KR/k", SELL, 7)


def test_a_rejected_amend_leaves_the_order_unchanged():
    engine = make_engine(lot=10)
    run(engine, buy("a", 20, 100), AmendOrder("a", quantity=15))
    assert [(o.order_id, o.remaining) for o in engine.book.side(BUY).orders_best_first()] == [("a", 20)]


def test_a_rejected_order_does_not_use_up_its_id():
    engine = make_engine()
    run(engine, buy("a", 0, 100))
    assert type(run(engine, buy("a", 1, 100))[0]).__name__ == "OrderAccepted"


def test_prices_on_the_band_edges_are_accepted():
    engine = make_engine(price_band=Fraction(1, 10), reference_price=100)
    events = run(engine, buy("a", 1, 90), sell("b", 1, 110))
    assert [type(e).__name__ for e in events if "Order" in type(e).__name__] == ["OrderAccepted", "OrderAccepted"]


FIELD_VALUES = {
    "order_id": st.sampled_from(["n1", "", 7, None, ("t",), "dup"]),
    "account": st.sampled_from(["CN-BJ/a", "", 3, None]),
    "side": st.sampled_from([BUY, SELL, "HOLD", None, ["BUY"], Side.BUY]),
    "quantity": st.sampled_from([10, 12, 5, 0, -5, "10", 10.0, 1_000, None]),
    "price": st.sampled_from([100, 105, 103, 0, -100, None, "100", 100.0, 500]),
    "order_type": st.sampled_from(["LIMIT", MARKET, POST_ONLY, "STOP", None, OrderType.LIMIT]),
    "time_in_force": st.sampled_from(["GTC", "DAY", GTD, IOC, FOK, "GTX", TimeInForce.GTC, {}]),
    "expire_at": st.sampled_from([None, 50, 1, "60"]),
    "stp": st.sampled_from([None, "NONE", "CANCEL_BOTH", "SOMETIMES", 1]),
    "phase": st.sampled_from([CONTINUOUS, PRE_OPEN, CLOSED, HALTED]),
}


@settings(max_examples=400, deadline=None)
@given(st.fixed_dictionaries(FIELD_VALUES))
def test_the_fast_entry_check_rejects_exactly_what_the_full_check_rejects(fields):
    phase = fields.pop("phase")
    engine = make_engine(phase=phase, lot=5, tick=5, min_quantity=5, max_quantity=500, price_band=Fraction(1, 10),
                         reference_price=100)
    engine.known_order_ids.add("dup")
    command = SubmitOrder(ts=10, **fields)
    expected = submit_reason(command, engine.rules, engine.band, phase, engine.known_order_ids)
    first = engine.handle(command)[0]
    if expected is None:
        assert type(first) is OrderAccepted or first.reason in CONTINUOUS_ONLY_REASONS
    else:
        assert type(first) is OrderRejected and first.reason == expected
