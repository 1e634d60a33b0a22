"""Snapshot and restore: a restored engine continues exactly as the uninterrupted one."""

import json
from fractions import Fraction

from carbonlink.bench.streams import generate_stream
from services.matching.core import (AdvanceClock, ChangePhase, CircuitBreaker, InstrumentRules, MatchingEngine,
                                    SubmitOrder)
from services.matching.core.vocabulary import CLOSED, CLOSING_AUCTION, CONTINUOUS, DAY, GTD, OPENING_AUCTION, PRE_OPEN


def session_stream():
    """Continuous trading with GTD and DAY orders, a clock, a closing auction and the next day's opening."""
    stream = generate_stream(3_000, seed=11)
    extra = [SubmitOrder(order_id=f"g{n}", account="KR/g", side="BUY", quantity=5, price=9_950 + n,
                         time_in_force=GTD, expire_at=5_000 + n * 10, ts=n) for n in range(20)]
    extra += [SubmitOrder(order_id=f"d{n}", account="KR/d", side="SELL", quantity=5, price=10_060 + n,
                          time_in_force=DAY, ts=n) for n in range(20)]
    return (extra + stream[:1_500] + [AdvanceClock(ts=5_100)] + stream[1_500:]
            + [ChangePhase(phase=CLOSING_AUCTION, ts=9_000), ChangePhase(phase=CLOSED, ts=9_001),
               ChangePhase(phase=PRE_OPEN, ts=9_002), ChangePhase(phase=OPENING_AUCTION, ts=9_003),
               ChangePhase(phase=CONTINUOUS, ts=9_004), AdvanceClock(ts=9_500)])


def make_engine():
    rules = InstrumentRules(instrument="CEA", price_band=Fraction(1, 5),
                            circuit_breaker=CircuitBreaker(max_move=Fraction(1, 2), window_ms=500))
    return MatchingEngine(rules, phase=CONTINUOUS, reference_price=10_000)


def test_a_restored_engine_produces_the_same_events_as_the_uninterrupted_one():
    stream = session_stream()
    whole = make_engine()
    expected = [whole.handle(command) for command in stream]

    cut = len(stream) // 2
    first = make_engine()
    before = [first.handle(command) for command in stream[:cut]]
    restored = MatchingEngine.restore(json.loads(json.dumps(first.snapshot())))
    after = [restored.handle(command) for command in stream[cut:]]

    assert before + after == expected
    assert restored.snapshot() == whole.snapshot()


def test_a_snapshot_is_plain_json_and_restores_to_an_identical_snapshot():
    engine = make_engine()
    for command in session_stream()[:800]:
        engine.handle(command)
    snapshot = engine.snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert MatchingEngine.restore(snapshot).snapshot() == snapshot
    assert snapshot["rules"]["circuit_breaker"] == {"max_move": "1/2", "window_ms": 500}
