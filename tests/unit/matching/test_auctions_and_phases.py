"""Trading phases and the call auction's uncross."""

from services.matching.core import (CancelOrder, ChangePhase, OrderCancelled, OrderExpired, PhaseChanged,
                                    TradeExecuted)
from services.matching.core.auction import uncross_price
from services.matching.core.vocabulary import (BUY, CLOSED, CLOSING_AUCTION, CONTINUOUS, DAY, HALTED,
                                               OPENING_AUCTION, PRE_OPEN, SELL)

from tests.unit.matching.support import buy, fills, make_engine, of_type, resting, run, sell


def auction_with(*orders, reference_price=None):
    engine = make_engine(phase=OPENING_AUCTION, reference_price=reference_price)
    run(engine, *orders)
    return engine


def test_pre_open_and_auctions_collect_orders_without_matching():
    engine = make_engine(phase=PRE_OPEN)
    events = run(engine, buy("b", 5, 101), sell("s", 5, 99))
    assert fills(events) == [] and engine.book.is_crossed()


def test_the_uncross_price_maximises_executed_volume():
    engine = auction_with(buy("b1", 10, 101), buy("b2", 5, 100), sell("s1", 8, 99), sell("s2", 6, 100))
    assert uncross_price(engine.book, None) == 100
    events = run(engine, ChangePhase(phase=CONTINUOUS))
    assert fills(events) == [("b1", "s1", 100, 8), ("b1", "s2", 100, 2), ("b2", "s2", 100, 4)]
    assert resting(engine) == {BUY: [(100, "b2", 1)], SELL: []}


def test_equal_volume_goes_to_the_price_with_the_smaller_imbalance_before_the_reference():
    engine = auction_with(buy("b", 10, 101), sell("s1", 10, 100), sell("s2", 5, 101), reference_price=101)
    assert uncross_price(engine.book, 101) == 100


def test_equal_volume_and_imbalance_go_to_the_price_nearest_the_reference_then_the_lower():
    engine = auction_with(buy("b", 10, 102), sell("s", 10, 100))
    assert uncross_price(engine.book, 102) == 102
    assert uncross_price(engine.book, 99) == 100
    assert uncross_price(engine.book, 101) == 100
    assert uncross_price(engine.book, None) == 100


def test_the_auction_uses_the_reference_price_for_its_tie_break():
    engine = auction_with(buy("b", 10, 102), sell("s", 10, 100), reference_price=102)
    assert fills(run(engine, ChangePhase(phase=CONTINUOUS))) == [("b", "s", 102, 10)]


def test_allocation_at_a_price_is_first_in_first_out():
    engine = auction_with(buy("b1", 5, 100), buy("b2", 5, 100), sell("s", 7, 100))
    assert fills(run(engine, ChangePhase(phase=CONTINUOUS))) == [("b1", "s", 100, 5), ("b2", "s", 100, 2)]


def test_auction_trades_have_no_aggressor_and_the_earlier_order_is_the_maker():
    engine = auction_with(sell("s", 5, 100), buy("b", 5, 100))
    trade = of_type(run(engine, ChangePhase(phase=CONTINUOUS)), TradeExecuted)[0]
    assert (trade.aggressor_side, trade.maker_order_id, trade.taker_order_id) == (None, "s", "b")


def test_the_uncross_trades_come_before_the_phase_change():
    engine = auction_with(sell("s", 5, 100), buy("b", 5, 100))
    kinds = [type(e) for e in run(engine, ChangePhase(phase=CONTINUOUS))]
    assert kinds.index(TradeExecuted) < kinds.index(PhaseChanged)


def test_an_uncrossable_auction_opens_without_trades():
    engine = auction_with(buy("b", 5, 99), sell("s", 5, 100))
    assert fills(run(engine, ChangePhase(phase=CONTINUOUS))) == [] and engine.phase == CONTINUOUS


def test_the_closing_auction_uncrosses_then_day_orders_expire_at_the_close():
    engine = make_engine()
    run(engine, ChangePhase(phase=CLOSING_AUCTION), buy("b", 5, 100, time_in_force=DAY),
        sell("s", 3, 100, time_in_force=DAY), buy("gtc", 1, 90))
    events = run(engine, ChangePhase(phase=CLOSED))
    assert fills(events) == [("b", "s", 100, 3)]
    assert [(e.order_id, e.remaining_quantity) for e in of_type(events, OrderExpired)] == [("b", 2)]
    assert resting(engine) == {BUY: [(90, "gtc", 1)], SELL: []}


def test_entering_continuous_uncrosses_a_book_left_crossed_by_pre_open():
    engine = make_engine(phase=PRE_OPEN)
    run(engine, buy("b", 5, 101), sell("s", 5, 99), ChangePhase(phase=CLOSED))
    assert fills(run(engine, ChangePhase(phase=CONTINUOUS))) == [("b", "s", 99, 5)]


def test_cancels_are_accepted_in_every_phase():
    for phase in (PRE_OPEN, OPENING_AUCTION, CLOSING_AUCTION, HALTED, CLOSED):
        engine = make_engine()
        run(engine, buy("b", 5, 99))
        engine.phase = phase
        assert of_type(run(engine, CancelOrder("b")), OrderCancelled)


def test_a_phase_change_can_set_the_reference_price():
    engine = make_engine(phase=CLOSED)
    run(engine, ChangePhase(phase=PRE_OPEN, reference_price=5_230))
    assert engine.reference_price == 5_230 and engine.phase == PRE_OPEN


def test_the_session_runs_through_all_phases():
    engine = make_engine(phase=CLOSED)
    for phase in (PRE_OPEN, OPENING_AUCTION, CONTINUOUS, HALTED, CONTINUOUS, CLOSING_AUCTION, CLOSED):
        [changed] = of_type(run(engine, ChangePhase(phase=phase)), PhaseChanged)
        assert changed.phase == phase
