"""Order entry sends a command again until it sees its outcome: the engine decides each amend and mass cancel
once, by the id it was sent under, and remembers no more than what a repeat could still change."""

from services.matching.core import (AmendOrder, CancelOrder, ChangePhase, CommandRejected, MassCancel,
                                    MatchingEngine, OrderAmended, OrderCancelled)
from services.matching.core import reasons as r
from services.matching.core.engine import MASS_CANCEL_MEMORY
from services.matching.core.vocabulary import BUY, CONTINUOUS, HALTED, SELL

from tests.unit.matching.support import buy, make_engine, of_type, resting, run, sell


def test_an_amend_sent_again_after_fills_does_not_reopen_the_quantity():
    engine = make_engine()
    run(engine, sell("s1", 10, 100))
    amend = AmendOrder("s1", quantity=8, command_id="amend:s1:1")
    assert of_type(run(engine, amend), OrderAmended)
    run(engine, buy("b1", 5, 100))

    assert run(engine, amend) == []
    assert resting(engine)[SELL] == [(100, "s1", 3)]


def test_an_earlier_amend_sent_again_does_not_undo_a_later_one():
    engine = make_engine()
    run(engine, buy("b1", 10, 100))
    first = AmendOrder("b1", price=101, command_id="amend:b1:1")
    run(engine, first, AmendOrder("b1", price=99, command_id="amend:b1:2"))

    assert run(engine, first) == []
    assert resting(engine)[BUY] == [(99, "b1", 10)]


def test_a_rejected_amend_sent_again_stays_rejected_once_it_would_pass():
    engine = make_engine()
    run(engine, buy("b1", 10, 100), ChangePhase(HALTED))
    amend = AmendOrder("b1", quantity=4, command_id="amend:b1:1")
    assert [e.reason for e in of_type(run(engine, amend), CommandRejected)] == [r.INSTRUMENT_HALTED]
    run(engine, ChangePhase(CONTINUOUS))

    assert run(engine, amend) == []
    assert resting(engine)[BUY] == [(100, "b1", 10)]


def test_amend_ids_survive_a_snapshot_and_go_with_their_order():
    engine = make_engine()
    run(engine, sell("s1", 10, 100))
    amend = AmendOrder("s1", price=102, command_id="amend:s1:1")
    run(engine, amend, buy("b1", 3, 102))
    restored = MatchingEngine.restore(engine.snapshot())
    assert run(restored, amend) == []

    run(restored, buy("b2", 7, 102))  # fills the rest: the order ends, and its ids with it
    assert [e.reason for e in of_type(run(restored, amend), CommandRejected)] == [r.UNKNOWN_ORDER]
    assert restored.orders == {} and resting(restored) == {BUY: [], SELL: []}


def test_a_cancel_sent_again_is_rejected_as_unknown_and_changes_nothing():
    engine = make_engine()
    run(engine, buy("b1", 10, 100), buy("b2", 10, 99))
    assert of_type(run(engine, CancelOrder("b1")), OrderCancelled)

    assert [e.reason for e in run(engine, CancelOrder("b1"))] == [r.UNKNOWN_ORDER]
    assert resting(engine)[BUY] == [(99, "b2", 10)]


def test_a_mass_cancel_sent_again_spares_the_orders_placed_after_it():
    engine = make_engine()
    run(engine, buy("b1", 10, 100, account="CN-BJ/a"))
    mass = MassCancel(account="CN-BJ/a", command_id="mass-cancel:1")
    assert of_type(run(engine, mass), OrderCancelled)
    run(engine, buy("b2", 10, 100, account="CN-BJ/a"))

    assert run(engine, mass) == []
    assert run(MatchingEngine.restore(engine.snapshot()), mass) == []
    assert resting(engine)[BUY] == [(100, "b2", 10)]


def test_only_the_last_mass_cancels_are_remembered():
    engine = make_engine()
    for n in range(MASS_CANCEL_MEMORY + 1):
        run(engine, MassCancel(account="CN-BJ/x", command_id=f"mass-cancel:{n}"))

    assert list(engine.mass_cancels) == [f"mass-cancel:{n}" for n in range(1, MASS_CANCEL_MEMORY + 1)]
    run(engine, buy("b1", 10, 100, account="CN-BJ/x"))
    assert of_type(run(engine, MassCancel(account="CN-BJ/x", command_id="mass-cancel:0")), OrderCancelled)
