"""A band override (the price corridor's BAND action) narrows the band from the next reference price on: the
session under way keeps its band, the next session's band is the static band narrowed towards the override,
a second override narrows the one held (their intersection, pinned at one price when they share none), and a
clear lifts them all, leaving the static band alone again from the session after."""

from __future__ import annotations

from fractions import Fraction

from services.matching.core import (BandOverrideChanged, ChangePhase, ClearBandOverride, CommandRejected,
                                    MatchingEngine, ReferencePriceChanged, SetBandOverride)
from services.matching.core import reasons as r
from services.matching.core.vocabulary import CLOSED, CONTINUOUS
from tests.unit.matching.support import buy, make_engine, of_type, run, sell


def _engine(**rules) -> MatchingEngine:
    return make_engine(price_band=Fraction(1, 10), reference_price=5000, tick=10, **rules)


def _next_session(engine: MatchingEngine, reference: int) -> list:
    return run(engine, ChangePhase(phase=CLOSED, ts=2), ChangePhase(phase=CONTINUOUS, reference_price=reference, ts=3))


def test_an_override_is_recorded_but_the_session_under_way_keeps_its_band():
    engine = _engine()
    events = run(engine, SetBandOverride(low=4000, high=5200, reason="corridor K", ts=1))
    assert events == [BandOverrideChanged("CEA", 1, 1, 4000, 5200, "corridor K", False)]
    assert engine.band == (4500, 5500)
    assert type(run(engine, buy("a", 1, 5400))[0]).__name__ == "OrderAccepted"


def test_the_next_sessions_band_is_the_static_band_narrowed_towards_the_override():
    engine = _engine()
    run(engine, SetBandOverride(low=4000, high=5200, ts=1))
    opened = _next_session(engine, 5000)
    assert of_type(opened, ReferencePriceChanged) == [ReferencePriceChanged("CEA", 3, 3, 5000, 4000, 5200)]
    assert engine.band == (4500, 5200)
    rejected = run(engine, buy("a", 1, 5210), sell("b", 1, 5210))
    assert [(type(e).__name__, e.reason) for e in rejected] == [("OrderRejected", r.PRICE_OUTSIDE_BAND)] * 2
    assert type(run(engine, buy("c", 1, 5200))[0]).__name__ == "OrderAccepted"


def test_a_close_far_outside_the_override_leaves_only_the_band_limit_nearest_to_it():
    engine = _engine()
    run(engine, SetBandOverride(low=4000, high=5200, ts=1))
    _next_session(engine, 6000)  # static band 5400–6600, wholly above the override
    assert engine.band == (5400, 5400)


def test_the_override_stays_in_force_for_every_session_until_it_is_cleared():
    engine = _engine()
    run(engine, SetBandOverride(low=4000, high=5200, ts=1))
    _next_session(engine, 5000)
    _next_session(engine, 5100)
    assert engine.band == (4590, 5200)
    assert run(engine, ClearBandOverride(ts=4)) == [BandOverrideChanged("CEA", 8, 4, None, None, "", False)]
    assert engine.band == (4590, 5200)
    opened = _next_session(engine, 5100)
    assert of_type(opened, ReferencePriceChanged)[0][-2:] == (None, None)
    assert engine.band == (4590, 5610)


def test_an_instrument_without_a_static_band_gets_the_override_as_its_band():
    engine = make_engine(reference_price=5000)
    run(engine, SetBandOverride(low=4000, high=5200, ts=1))
    _next_session(engine, 5000)
    assert engine.band == (4000, 5200)
    assert run(engine, buy("a", 1, 5201))[0].reason == r.PRICE_OUTSIDE_BAND


def test_an_override_off_the_tick_or_upside_down_is_rejected_and_changes_nothing():
    engine = _engine()
    for low, high, pin in ((4005, 5200, None), (5200, 4000, None), (0, 5200, None), (4000, 5200, "MIDDLE")):
        assert run(engine, SetBandOverride(low=low, high=high, pin=pin, ts=1)) == [
            CommandRejected("CEA", engine.seq, 1, "SET_BAND_OVERRIDE", None, r.INVALID_PRICE)]
    assert engine.band_override is None


def test_a_restored_engine_keeps_the_override_and_the_sessions_band():
    engine = _engine()
    run(engine, SetBandOverride(low=4000, high=5200, ts=1))
    _next_session(engine, 5000)
    run(engine, SetBandOverride(low=4800, high=5000, reason="corridor L", ts=4))
    run(engine, SetBandOverride(low=6000, high=7000, reason="corridor M", pin="LOW", ts=5))
    restored = MatchingEngine.restore(engine.snapshot())
    assert (restored.band_override, restored.session_clip, restored.band) == ((6000, 6000), (4000, 5200), (4500, 5200))
    assert restored.band_pinned and restored.band_reason.startswith("corridor L; corridor M has no price in common")
    assert restored.snapshot() == engine.snapshot()


def test_a_snapshot_taken_before_band_overrides_existed_restores_without_one():
    snapshot = _engine().snapshot()
    del snapshot["band_override"], snapshot["session_clip"], snapshot["band_reason"], snapshot["band_pinned"]
    restored = MatchingEngine.restore(snapshot)
    assert (restored.band_override, restored.band, restored.band_reason, restored.band_pinned) == (
        None, (4500, 5500), "", False)


def test_a_second_override_narrows_the_one_held_to_their_intersection():
    engine = _engine()
    run(engine, SetBandOverride(low=4000, high=5200, reason="corridor K", ts=1))
    events = run(engine, SetBandOverride(low=4600, high=6000, reason="corridor L", pin="HIGH", ts=2))
    assert events == [BandOverrideChanged("CEA", 2, 2, 4600, 5200, "corridor K; corridor L", False)]
    _next_session(engine, 5000)
    assert engine.band == (4600, 5200)


def test_the_same_corridor_breached_again_leaves_the_override_and_its_reason_as_they_were():
    engine = _engine()
    run(engine, SetBandOverride(low=4000, high=5200, reason="corridor K", pin="HIGH", ts=1))
    again = run(engine, SetBandOverride(low=4000, high=5200, reason="corridor K", pin="HIGH", ts=2))
    assert again == [BandOverrideChanged("CEA", 2, 2, 4000, 5200, "corridor K", False)]


def test_overrides_with_no_price_in_common_pin_the_band_at_the_breached_limit_and_say_so():
    engine = _engine()
    run(engine, SetBandOverride(low=4000, high=4600, reason="corridor K", ts=1))
    [changed] = run(engine, SetBandOverride(low=4800, high=6000, reason="corridor L", pin="LOW", ts=2))
    assert (changed.low, changed.high, changed.pinned) == (4800, 4800, True)
    assert changed.reason == "corridor K; corridor L has no price in common with the override held: pinned at 4800"
    _next_session(engine, 5000)
    assert engine.band == (4800, 4800)
    later = run(engine, SetBandOverride(low=4500, high=5000, reason="corridor K", ts=4))
    assert (later[0].low, later[0].high, later[0].pinned) == (4800, 4800, True)


def test_a_clear_lifts_every_override_held():
    engine = _engine()
    run(engine, SetBandOverride(low=4000, high=5200, reason="corridor K", ts=1),
        SetBandOverride(low=4600, high=6000, reason="corridor L", ts=2))
    run(engine, ClearBandOverride(ts=3))
    assert (engine.band_override, engine.band_reason, engine.band_pinned) == (None, "", False)
    run(engine, SetBandOverride(low=4800, high=6000, reason="corridor L", ts=4))
    assert engine.band_override == (4800, 6000)
