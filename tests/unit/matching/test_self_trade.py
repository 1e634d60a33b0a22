"""Self-trade prevention: the incoming order's mode decides what happens when it meets its own account."""

from services.matching.core import OrderCancelled
from services.matching.core import reasons as r
from services.matching.core.vocabulary import (BUY, FOK, SELL, STP_CANCEL_BOTH, STP_CANCEL_INCOMING,
                                               STP_CANCEL_RESTING, STP_NONE)

from tests.unit.matching.support import buy, fills, make_engine, of_type, resting, run, sell

ME = "CN-BJ/me"


def cancelled(events):
    return [(e.order_id, e.remaining_quantity, e.reason) for e in of_type(events, OrderCancelled)]


def test_without_prevention_an_account_may_trade_with_itself():
    engine = make_engine()
    run(engine, sell("s", 5, 100, account=ME))
    assert fills(run(engine, buy("b", 5, 100, account=ME, stp=STP_NONE))) == [("b", "s", 100, 5)]


def test_cancel_resting_removes_own_resting_orders_and_keeps_matching_others():
    engine = make_engine()
    run(engine, sell("own", 5, 100, account=ME), sell("other", 5, 100))
    events = run(engine, buy("b", 5, 100, account=ME, stp=STP_CANCEL_RESTING))
    assert cancelled(events) == [("own", 5, r.CANCEL_SELF_TRADE)]
    assert fills(events) == [("b", "other", 100, 5)]


def test_cancel_incoming_cancels_the_incoming_remainder_and_keeps_the_resting_order():
    engine = make_engine()
    run(engine, sell("other", 2, 100), sell("own", 5, 100, account=ME))
    events = run(engine, buy("b", 5, 101, account=ME, stp=STP_CANCEL_INCOMING))
    assert fills(events) == [("b", "other", 100, 2)]
    assert cancelled(events) == [("b", 3, r.CANCEL_SELF_TRADE)]
    assert resting(engine) == {BUY: [], SELL: [(100, "own", 5)]}


def test_cancel_both_cancels_the_incoming_and_the_resting_order():
    engine = make_engine()
    run(engine, sell("own", 5, 100, account=ME))
    events = run(engine, buy("b", 3, 100, account=ME, stp=STP_CANCEL_BOTH))
    assert cancelled(events) == [("own", 5, r.CANCEL_SELF_TRADE), ("b", 3, r.CANCEL_SELF_TRADE)]
    assert resting(engine) == {BUY: [], SELL: []}


def test_the_instruments_default_mode_applies_when_the_order_chooses_none():
    engine = make_engine(default_stp=STP_CANCEL_INCOMING)
    run(engine, sell("own", 5, 100, account=ME))
    assert cancelled(run(engine, buy("b", 5, 100, account=ME))) == [("b", 5, r.CANCEL_SELF_TRADE)]


def test_a_fok_order_counts_only_liquidity_it_may_trade_with():
    engine = make_engine()
    run(engine, sell("own", 5, 100, account=ME), sell("other", 5, 100))
    assert run(engine, buy("f", 6, 100, account=ME, time_in_force=FOK, stp=STP_CANCEL_RESTING))[-1].reason == (
        r.FOK_NOT_FILLABLE)
    assert run(engine, buy("g", 5, 100, account=ME, time_in_force=FOK, stp=STP_CANCEL_INCOMING))[-1].reason == (
        r.FOK_NOT_FILLABLE)
    assert fills(run(engine, buy("h", 5, 100, account=ME, time_in_force=FOK, stp=STP_CANCEL_RESTING))) == [
        ("h", "other", 100, 5)]
