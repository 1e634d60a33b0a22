"""Minimum fills: no execution below an order's min fill, no open remainder below it, nothing created or lost."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.matching.core import (AmendOrder, CancelOrder, ChangePhase, MatchingEngine, OrderAccepted, OrderAmended,
                                    OrderCancelled, OrderExpired, TradeExecuted)
from services.matching.core.min_fill import allowed_fill
from services.matching.core.vocabulary import (BUY, CLOSED, CLOSING_AUCTION, CONTINUOUS, FOK, IOC, OPENING_AUCTION,
                                               PRE_OPEN, SELL)
from services.matching.translate import command_of

from shared.messages import order_commands

from tests.unit.matching.reference_matcher import largest_fill
from tests.unit.matching.support import buy, fills, make_engine, resting, run, sell


def test_a_full_fill_that_would_leave_the_resting_order_below_its_minimum_is_cut_to_leave_it_the_minimum():
    engine = make_engine()
    events = run(engine, sell("s", 9, 100, min_fill=4), buy("b", 7, 100))
    assert fills(events) == [("b", "s", 100, 5)]
    assert resting(engine) == {BUY: [(100, "b", 2)], SELL: [(100, "s", 4)]}


def test_an_incoming_order_passes_over_a_resting_order_it_may_not_fill_with_and_that_order_keeps_its_place():
    engine = make_engine()
    events = run(engine, sell("s1", 5, 100, min_fill=4), sell("s2", 3, 100), sell("s3", 3, 101), buy("b", 3, 101))
    assert fills(events) == [("b", "s2", 100, 3)]  # 3 t would leave s1 with 2, below its 4
    events = run(engine, buy("b2", 5, 101))
    assert fills(events) == [("b2", "s1", 100, 5)]


def test_passing_over_a_better_priced_order_trades_at_a_worse_price_and_may_leave_the_book_crossed():
    engine = make_engine()
    events = run(engine, sell("s1", 6, 100, min_fill=4), sell("s2", 2, 101), buy("b", 3, 101))
    assert fills(events) == [("b", "s2", 101, 2)]
    assert resting(engine) == {BUY: [(101, "b", 1)], SELL: [(100, "s1", 6)]}  # crossed: 1 t cannot meet 4
    assert engine.book.is_crossed()


def test_an_incoming_order_never_executes_below_its_own_minimum_and_rests_instead():
    engine = make_engine()
    events = run(engine, sell("s", 2, 100), buy("b", 6, 100, min_fill=3))
    assert fills(events) == [] and resting(engine)[BUY] == [(100, "b", 6)]


def test_an_ioc_order_keeps_the_same_rule_and_cancels_what_its_minimum_kept_from_trading():
    engine = make_engine()
    events = run(engine, sell("s1", 2, 100), sell("s2", 5, 100), buy("b", 6, 100, min_fill=3, time_in_force=IOC))
    assert fills(events) == [("b", "s2", 100, 3)]  # 5 t would leave it 1 t: one rule, whether or not it rests
    cancelled = [e for e in events if type(e) is OrderCancelled]
    assert [(e.order_id, e.remaining_quantity) for e in cancelled] == [("b", 3)]


def test_fill_or_kill_counts_only_the_fills_the_minimums_allow():
    engine = make_engine()
    run(engine, sell("s1", 5, 100, min_fill=5), sell("s2", 2, 100))
    assert fills(run(engine, buy("f1", 4, 100, time_in_force=FOK))) == []
    assert fills(run(engine, buy("f2", 7, 100, time_in_force=FOK))) == [("f2", "s1", 100, 5), ("f2", "s2", 100, 2)]


def test_the_call_auction_applies_the_same_rule():
    engine = make_engine(phase=OPENING_AUCTION)
    run(engine, buy("b1", 3, 101), buy("b2", 5, 100), sell("s1", 8, 99, min_fill=4), sell("s2", 2, 99))
    events = run(engine, ChangePhase(phase=CONTINUOUS))
    # b1 passes over s1 (3 t is below its 4); b2's 5 t would leave s1 3 t, so it takes 4
    assert fills(events) == [("b1", "s2", 99, 2), ("b2", "s1", 99, 4)]
    assert resting(engine) == {BUY: [(101, "b1", 1), (100, "b2", 1)], SELL: [(99, "s1", 4)]}


def test_an_auction_that_can_execute_nothing_sets_no_last_price():
    engine = make_engine(phase=OPENING_AUCTION)
    run(engine, buy("b", 2, 101), sell("s", 5, 99, min_fill=3))
    assert fills(run(engine, ChangePhase(phase=CONTINUOUS))) == [] and engine.last_trade_price is None


def test_a_snapshot_keeps_each_orders_minimum_fill():
    engine = make_engine()
    run(engine, sell("s", 9, 100, min_fill=4))
    restored = MatchingEngine.restore(engine.snapshot())
    assert fills(run(restored, buy("b", 7, 100))) == [("b", "s", 100, 5)]


@given(st.integers(1, 40), st.integers(1, 8), st.integers(1, 40), st.integers(1, 8), st.sampled_from([1, 2, 5]))
def test_the_allowed_fill_is_the_largest_size_on_the_lot_both_sides_accept(a, a_min, b, b_min, lot):
    a, b = max(a, a_min) * lot, max(b, b_min) * lot  # open quantities on the lot, never below their minimum

    def accepts(size, left, least):
        return size == left or (size >= least and left - size >= least)
    expected = next((q for q in range(min(a, b), 0, -1)
                     if q % lot == 0 and accepts(q, a, a_min) and accepts(q, b, b_min)), 0)
    assert allowed_fill(a, a_min, b, b_min, lot) == expected
    if lot == 1:
        assert largest_fill(a, a_min, b, b_min) == expected  # the reference matcher's brute force agrees


# --- properties over streams with calls, auctions, cancels and amends -------------------------------------------

ORDER = st.tuples(st.just("new"), st.sampled_from([BUY, SELL]), st.sampled_from(["GTC", "GTC", "IOC", "FOK", "DAY"]),
                  st.integers(97, 103), st.integers(1, 12), st.sampled_from([1, 1, 1, 2, 3, 4, 5]))
PHASE = st.tuples(st.just("phase"), st.sampled_from([PRE_OPEN, OPENING_AUCTION, CONTINUOUS, CLOSING_AUCTION, CLOSED]))
CHANGE = st.tuples(st.sampled_from(["cancel", "amend"]), st.integers(0, 5), st.integers(1, 12))
OPS = st.lists(st.one_of(ORDER, ORDER, ORDER, ORDER, PHASE, CHANGE), min_size=5, max_size=90)


def commands_of(ops):
    commands, ids = [], []
    for n, op in enumerate(ops):
        if op[0] == "new":
            _, side, tif, price, quantity, min_fill = op
            ids.append(f"o{n}")
            make = buy if side == BUY else sell
            commands.append(make(f"o{n}", quantity, price, account=f"CN-BJ/{n % 4}", time_in_force=tif,
                                 min_fill=min_fill))
        elif op[0] == "phase":
            commands.append(ChangePhase(phase=op[1]))
        elif ids:
            order_id = ids[-1 - op[1] % len(ids)]
            commands.append(CancelOrder(order_id) if op[0] == "cancel" else AmendOrder(order_id, quantity=op[2]))
    return commands


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_no_fill_below_a_minimum_no_remainder_below_it_and_every_tonne_accounted_for(ops):
    engine = make_engine()
    minimum: dict[str, int] = {}
    open_qty: dict[str, int] = {}
    for command in commands_of(ops):
        if type(command).__name__ == "SubmitOrder":
            minimum[command.order_id] = command.min_fill
        for event in engine.handle(command):
            kind = type(event)
            if kind is OrderAccepted:
                open_qty[event.order_id] = event.quantity
            elif kind is TradeExecuted:
                for order_id, leaves in ((event.buy_order_id, event.buy_leaves_quantity),
                                         (event.sell_order_id, event.sell_leaves_quantity)):
                    assert event.quantity >= minimum[order_id]
                    open_qty[order_id] -= event.quantity
                    assert open_qty[order_id] == leaves and (leaves == 0 or leaves >= minimum[order_id])
            elif kind is OrderAmended:
                open_qty[event.order_id] = event.quantity
            elif kind in (OrderCancelled, OrderExpired):
                assert event.remaining_quantity == open_qty[event.order_id]
                open_qty[event.order_id] = 0
    live = {order.order_id: order.remaining for order in engine.orders.values()}
    assert all(left >= minimum[order_id] for order_id, left in live.items())
    assert {order_id: left for order_id, left in open_qty.items() if left} == live
    for side in (BUY, SELL):
        assert sum(o.remaining for o in engine.book.side(side).orders_best_first()) == sum(
            level.quantity for level in engine.book.side(side).levels.values())


def test_the_wire_order_carries_its_minimum_fill_into_the_core():
    wire = order_commands.SubmitOrder(order_id="o-1", client_order_id="c-1", instrument="X", account="KR/a",
                                      side="BUY", order_type="LIMIT", time_in_force="GTC", price=100, quantity=10,
                                      min_fill=4)
    assert command_of(wire, ts=5).min_fill == 4
    with pytest.raises(ValidationError):
        order_commands.SubmitOrder.model_validate({**wire.model_dump(), "quantity": 3})
