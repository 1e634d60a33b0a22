"""Order types, times in force, cancels and amends in continuous trading."""

from fractions import Fraction

from services.matching.core import (AdvanceClock, AmendOrder, BookDelta, CancelOrder, ChangePhase, MassCancel,
                                    OrderAccepted, OrderAmended, OrderCancelled, OrderExpired, SetReferencePrice,
                                    TradeExecuted)
from services.matching.core import reasons as r
from services.matching.core.vocabulary import (BUY, CLOSED, DAY, FOK, GTD, IOC, MARKET,
                                               POST_ONLY, SELL)

from tests.unit.matching.support import buy, fills, make_engine, of_type, resting, run, sell


def test_limit_orders_match_at_the_makers_price_best_price_first_then_time():
    engine = make_engine()
    run(engine, sell("s1", 5, 101), sell("s2", 5, 100), sell("s3", 5, 100))
    events = run(engine, buy("b1", 12, 102))
    assert fills(events) == [("b1", "s2", 100, 5), ("b1", "s3", 100, 5), ("b1", "s1", 101, 2)]
    assert resting(engine) == {BUY: [], SELL: [(101, "s1", 3)]}


def test_a_trade_reports_maker_taker_aggressor_and_both_sides_leaves_quantity():
    engine = make_engine(instrument="CEA")
    run(engine, sell("s1", 10, 100, account="CN-SH/a"))
    trade = of_type(run(engine, buy("b1", 4, 100, account="CN-BJ/b")), TradeExecuted)[0]
    assert (trade.trade_id, trade.trade_seq, trade.aggressor_side) == ("CEA:T1", 1, BUY)
    assert (trade.maker_order_id, trade.maker_account, trade.taker_order_id, trade.taker_account) == (
        "s1", "CN-SH/a", "b1", "CN-BJ/b")
    assert (trade.buy_account, trade.sell_account) == ("CN-BJ/b", "CN-SH/a")
    assert (trade.buy_leaves_quantity, trade.sell_leaves_quantity) == (0, 6)


def test_event_ids_are_instrument_and_a_gapless_sequence():
    engine = make_engine(instrument="CEA")
    events = run(engine, sell("s1", 10, 100), buy("b1", 4, 100), CancelOrder("nope"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].event_id == "CEA:1"


def test_an_unmatched_limit_order_rests_and_publishes_a_book_delta():
    engine = make_engine()
    events = run(engine, buy("b1", 10, 99), buy("b2", 5, 99))
    assert of_type(events, BookDelta)[-1].quantity == 15 and of_type(events, BookDelta)[-1].order_count == 2


def test_a_market_order_sweeps_the_book_and_its_remainder_is_cancelled():
    engine = make_engine()
    run(engine, sell("s1", 5, 100), sell("s2", 5, 150))
    events = run(engine, buy("m", 12, order_type=MARKET, time_in_force=IOC))
    assert fills(events) == [("m", "s1", 100, 5), ("m", "s2", 150, 5)]
    cancelled = of_type(events, OrderCancelled)[0]
    assert (cancelled.order_id, cancelled.remaining_quantity, cancelled.reason) == ("m", 2, r.CANCEL_UNFILLED)
    assert resting(engine) == {BUY: [], SELL: []}


def test_a_market_order_executes_only_within_the_price_band():
    engine = make_engine(price_band=Fraction(1, 10), reference_price=100)
    run(engine, sell("s1", 5, 105), sell("s2", 5, 110), SetReferencePrice(price=95))  # band now 86..104
    assert run(engine, buy("m0", 10, order_type=MARKET, time_in_force=IOC))[0].reason == r.NO_LIQUIDITY
    events = run(engine, sell("x", 1, 95), buy("m", 10, order_type=MARKET, time_in_force=IOC))
    assert fills(events) == [("m", "x", 95, 1)]
    assert of_type(events, OrderCancelled)[0].remaining_quantity == 9


def test_a_post_only_order_rests_when_it_would_not_take():
    engine = make_engine()
    run(engine, sell("s1", 5, 101))
    events = run(engine, buy("p", 5, 100, order_type=POST_ONLY))
    assert of_type(events, OrderAccepted) and resting(engine)[BUY] == [(100, "p", 5)]


def test_an_ioc_order_fills_what_it_can_and_cancels_the_rest():
    engine = make_engine()
    run(engine, sell("s1", 3, 100))
    events = run(engine, buy("i", 5, 100, time_in_force=IOC))
    assert fills(events) == [("i", "s1", 100, 3)]
    assert of_type(events, OrderCancelled)[0].remaining_quantity == 2
    assert resting(engine)[BUY] == []


def test_a_fok_order_fills_completely_when_enough_liquidity_is_within_its_limit():
    engine = make_engine()
    run(engine, sell("s1", 3, 100), sell("s2", 3, 101))
    events = run(engine, buy("f", 6, 101, time_in_force=FOK))
    assert fills(events) == [("f", "s1", 100, 3), ("f", "s2", 101, 3)]


def test_day_orders_expire_at_the_session_close_and_gtc_orders_stay():
    engine = make_engine()
    run(engine, buy("day", 5, 99, time_in_force=DAY), buy("gtc", 5, 98))
    events = run(engine, ChangePhase(phase=CLOSED))
    expired = of_type(events, OrderExpired)
    assert [(e.order_id, e.account, e.side, e.remaining_quantity) for e in expired] == [("day", "CN-BJ/buyer", BUY, 5)]
    assert resting(engine)[BUY] == [(98, "gtc", 5)]


def test_gtd_orders_expire_when_the_clock_reaches_their_expiry():
    engine = make_engine()
    run(engine, buy("g1", 5, 99, time_in_force=GTD, expire_at=1_000, ts=10),
        buy("g2", 5, 99, time_in_force=GTD, expire_at=2_000, ts=10))
    assert of_type(run(engine, AdvanceClock(ts=999)), OrderExpired) == []
    assert [e.order_id for e in of_type(run(engine, AdvanceClock(ts=1_000)), OrderExpired)] == ["g1"]
    assert resting(engine)[BUY] == [(99, "g2", 5)]


def test_a_filled_or_cancelled_gtd_order_does_not_expire_later():
    engine = make_engine()
    run(engine, buy("g1", 5, 99, time_in_force=GTD, expire_at=1_000), CancelOrder("g1"))
    assert run(engine, AdvanceClock(ts=5_000)) == []


def test_cancel_removes_the_order_and_reports_what_was_left():
    engine = make_engine()
    run(engine, sell("s1", 10, 100), buy("b1", 4, 100))
    events = run(engine, CancelOrder("s1"))
    cancelled = of_type(events, OrderCancelled)[0]
    assert (cancelled.account, cancelled.side, cancelled.remaining_quantity, cancelled.reason) == (
        "CN-SH/seller", SELL, 6, r.CANCEL_REQUESTED)
    assert of_type(events, BookDelta)[0].quantity == 0 and resting(engine)[SELL] == []


def test_mass_cancel_by_account_by_registry_and_for_the_whole_instrument():
    engine = make_engine()
    run(engine, buy("a", 1, 90, account="CN-BJ/x"), buy("b", 1, 91, account="CN-BJ/y"),
        sell("c", 1, 110, account="KR/z"), sell("d", 1, 111, account="KR/w", registry="JP-TYO"))
    assert [e.order_id for e in of_type(run(engine, MassCancel(account="CN-BJ/x")), OrderCancelled)] == ["a"]
    assert [e.order_id for e in of_type(run(engine, MassCancel(registry="KR")), OrderCancelled)] == ["c"]
    events = run(engine, MassCancel(reason="LINK_SUSPENDED"))
    assert [(e.order_id, e.reason) for e in of_type(events, OrderCancelled)] == [
        ("b", "LINK_SUSPENDED"), ("d", "LINK_SUSPENDED")]
    assert resting(engine) == {BUY: [], SELL: []}


def test_amending_quantity_down_keeps_time_priority():
    engine = make_engine()
    run(engine, sell("s1", 10, 100), sell("s2", 10, 100))
    amended = of_type(run(engine, AmendOrder("s1", quantity=4)), OrderAmended)[0]
    assert amended.lost_priority is False and amended.quantity == 4
    assert fills(run(engine, buy("b", 5, 100))) == [("b", "s1", 100, 4), ("b", "s2", 100, 1)]


def test_amending_quantity_up_loses_time_priority():
    engine = make_engine()
    run(engine, sell("s1", 10, 100), sell("s2", 10, 100))
    assert of_type(run(engine, AmendOrder("s1", quantity=12)), OrderAmended)[0].lost_priority is True
    assert resting(engine)[SELL] == [(100, "s2", 10), (100, "s1", 12)]


def test_amending_the_price_loses_time_priority():
    engine = make_engine()
    run(engine, sell("s1", 10, 101), sell("s2", 10, 100))
    run(engine, AmendOrder("s1", price=100))
    assert resting(engine)[SELL] == [(100, "s2", 10), (100, "s1", 10)]


def test_an_amend_that_makes_the_order_marketable_trades_at_once_as_aggressor():
    engine = make_engine()
    run(engine, sell("s1", 5, 101), buy("b1", 8, 99))
    events = run(engine, AmendOrder("b1", price=101))
    trade = of_type(events, TradeExecuted)[0]
    assert (trade.aggressor_side, trade.taker_order_id, trade.price, trade.quantity) == (BUY, "b1", 101, 5)
    assert resting(engine) == {BUY: [(101, "b1", 3)], SELL: []}


def test_a_fully_filled_order_is_gone_and_cannot_be_cancelled():
    engine = make_engine()
    run(engine, sell("s1", 5, 100), buy("b1", 5, 100))
    assert run(engine, CancelOrder("s1"))[0].reason == r.UNKNOWN_ORDER
