"""The compiled build of the core answers every command as the pure one does, malformed fields included, and a
build made from other sources is never used. (Skipped where the compiled build is not built.)"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from services.matching.core import (AdvanceClock, AmendOrder, CancelOrder, ChangePhase, CircuitBreaker,
                                    ClearBandOverride, InstrumentRules, MassCancel, SetBandOverride, SetReferencePrice,
                                    SubmitOrder, selection)
from services.matching.core.engine import MatchingEngine as PureEngine
from services.matching.core.vocabulary import CONTINUOUS

compiled, why_not = selection.compiled_engine_module()
pytestmark = pytest.mark.skipif(compiled is None, reason=f"the compiled matching core is {why_not}")

ODD = [None, "5", 5.0, -1, 0, 10**30, True, [], (1,), {"a": 1}, b"x", "", "BUY", "SELL", "MARKET", "GTD", "IOC",
       "NONE", "CANCEL_BOTH", "X/y", 100, 1]


def _commands(rng: random.Random, count: int) -> list:
    def field(good):
        return good if rng.random() < 0.96 else rng.choice(ODD)  # most commands valid, some fields odd

    commands, ids = [], []
    for i in range(count):
        ts, roll = field(1_000 + i), rng.random()
        if roll < 0.6:
            command = SubmitOrder(
                order_id=field(f"o{i}"), account=field(rng.choice(["A/x", "B/y"])),
                side=field(rng.choice(["BUY", "SELL"])),
                quantity=field(rng.randint(1, 20)), price=field(rng.randint(95, 105)),
                order_type=field(rng.choice(["LIMIT", "LIMIT", "MARKET", "POST_ONLY"])),
                time_in_force=field(rng.choice(["GTC", "IOC", "FOK", "DAY", "GTD"])), ts=ts, expire_at=field(5_000),
                stp=field(None), registry=field(None), min_fill=field(1))
            ids.append(command.order_id)
        elif roll < 0.8:
            command = CancelOrder(order_id=field(rng.choice(ids) if ids else "z"), ts=ts)
        elif roll < 0.97:
            command = AmendOrder(order_id=field(rng.choice(ids) if ids else "z"), price=field(rng.randint(95, 105)),
                                 quantity=field(rng.randint(1, 20)), ts=ts, command_id=field(f"c{i}"))
        elif roll < 0.98:
            command = MassCancel(account=field("A/x"), registry=field(None), reason=field("MASS"), ts=ts,
                                 command_id=field(f"m{i}"))
        else:
            command = rng.choice([
                lambda: ChangePhase(phase=field(rng.choice(["CONTINUOUS", "HALTED", "CLOSED", "OPENING_AUCTION"])),
                                    reference_price=field(None), ts=ts),
                lambda: AdvanceClock(ts=field(2_000 + i)),
                lambda: SetReferencePrice(price=field(100), ts=ts),
                lambda: SetBandOverride(low=field(90), high=field(110), reason=field("r"), ts=ts),
                lambda: ClearBandOverride(ts=ts)])()
        commands.append(command)
    return commands


def _outcome(engine, command):
    try:
        return engine.handle(command)
    except Exception as error:  # noqa: BLE001 - an exception is an outcome both builds must share
        return type(error).__name__


@pytest.mark.parametrize("rules", [{}, {"tick": 5}, {"lot": 2}, {"min_quantity": 2, "max_quantity": 15},
                                   {"circuit_breaker": CircuitBreaker(max_move=Fraction(3, 100), window_ms=1_000)}])
def test_both_builds_answer_every_command_alike_malformed_fields_included(rules):
    rng = random.Random(str(rules))
    for _ in range(8):
        instrument = InstrumentRules(instrument="F", **rules)
        pure, built = PureEngine(instrument, phase=CONTINUOUS), compiled.MatchingEngine(instrument, phase=CONTINUOUS)
        for command in _commands(rng, 250):
            assert _outcome(pure, command) == _outcome(built, command), command
        assert pure.snapshot() == built.snapshot()


def test_a_build_made_from_other_sources_is_not_used(monkeypatch):
    package = __import__(selection.COMPILED_PACKAGE)
    monkeypatch.setattr(package, "SOURCE_HASH", "0" * 64)
    module, why = selection.compiled_engine_module()
    assert module is None and why.startswith("stale")
    monkeypatch.setenv(selection.ENV, "compiled")
    with pytest.raises(ImportError, match="stale"):
        selection.choose()
    monkeypatch.setenv(selection.ENV, "auto")
    assert selection.choose() == (PureEngine, "pure")
