"""The dynamic circuit breaker: a fill that would move the price too far from the price `window_ms` ago halts."""

from fractions import Fraction

from services.matching.core import ChangePhase, CircuitBreaker, OrderCancelled, PhaseChanged, TradingHalted
from services.matching.core import reasons as r
from services.matching.core.vocabulary import CONTINUOUS, FOK, HALTED, OPENING_AUCTION, SELL

from tests.unit.matching.support import buy, fills, make_engine, of_type, resting, run, sell

BREAKER = CircuitBreaker(max_move=Fraction(1, 10), window_ms=1_000)


def engine_with_a_trade_at_100():
    engine = make_engine(circuit_breaker=BREAKER)
    run(engine, sell("s0", 1, 100, ts=0), buy("b0", 1, 100, ts=0))
    return engine


def test_fills_within_the_allowed_move_go_ahead_and_the_first_fill_beyond_it_halts_the_instrument():
    engine = engine_with_a_trade_at_100()
    run(engine, sell("s1", 5, 110, ts=100), sell("s2", 5, 111, ts=100))
    events = run(engine, buy("b", 8, 120, ts=500))
    assert fills(events) == [("b", "s1", 110, 5)]
    halted = of_type(events, TradingHalted)[0]
    assert (halted.order_id, halted.price, halted.anchor_price, halted.low, halted.high) == ("b", 111, 100, 90, 110)
    assert of_type(events, PhaseChanged)[0].phase == HALTED and engine.phase == HALTED
    assert [(e.order_id, e.remaining_quantity, e.reason) for e in of_type(events, OrderCancelled)] == [
        ("b", 3, r.CANCEL_CIRCUIT_BREAKER)]
    assert resting(engine)[SELL] == [(111, "s2", 5)]


def test_a_halted_instrument_rejects_new_orders_until_trading_resumes():
    engine = engine_with_a_trade_at_100()
    run(engine, sell("s1", 5, 120, ts=100), buy("b", 1, 120, ts=200))
    assert run(engine, buy("late", 1, 120, ts=300))[-1].reason == r.INSTRUMENT_HALTED
    run(engine, ChangePhase(phase=CONTINUOUS, ts=400))
    # resumed: the breaker now measures from the last price (100), so 120 is still too far
    run(engine, buy("again", 1, 120, ts=500))
    assert engine.phase == HALTED


def test_the_anchor_is_the_last_price_at_or_before_the_window_start():
    engine = engine_with_a_trade_at_100()
    run(engine, sell("s1", 1, 108, ts=1_500), buy("b1", 1, 108, ts=1_500))  # anchor 100: within 10%
    run(engine, sell("s2", 1, 118, ts=2_600), buy("b2", 1, 118, ts=2_600))  # anchor now 108: 118 within 10.8
    assert engine.phase == CONTINUOUS and engine.last_trade_price == 118


def test_the_reference_price_anchors_the_breaker_before_any_old_enough_trade():
    engine = make_engine(circuit_breaker=BREAKER, reference_price=100)
    run(engine, sell("s", 1, 115), buy("b", 1, 115))
    assert engine.phase == HALTED


def test_an_unfillable_fok_is_rejected_without_halting():
    engine = engine_with_a_trade_at_100()
    run(engine, sell("s1", 5, 115, ts=100))
    assert run(engine, buy("f", 5, 115, time_in_force=FOK, ts=200))[-1].reason == r.FOK_NOT_FILLABLE
    assert engine.phase == CONTINUOUS


def test_a_reopening_auction_resets_the_breaker_to_the_uncross_price():
    engine = engine_with_a_trade_at_100()
    run(engine, sell("s1", 5, 120, ts=100), buy("b", 1, 120, ts=200), ChangePhase(phase=OPENING_AUCTION, ts=300),
        buy("b2", 1, 120, ts=310), ChangePhase(phase=CONTINUOUS, ts=400))
    assert engine.last_trade_price == 120
    assert fills(run(engine, buy("b3", 1, 120, ts=500))) == [("b3", "s1", 120, 1)]
    assert engine.phase == CONTINUOUS
