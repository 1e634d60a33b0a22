"""Differential property: the engine and the simple reference matcher agree on trades and the final book, with
orders of every minimum fill among them."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.matching.core import AdvanceClock, AmendOrder, CancelOrder, SubmitOrder, TradeExecuted
from services.matching.core.vocabulary import BUY, SELL

from tests.unit.matching.reference_matcher import ReferenceMatcher
from tests.unit.matching.support import make_engine

ORDER_KINDS = [("LIMIT", "GTC"), ("LIMIT", "DAY"), ("LIMIT", "GTD"), ("LIMIT", "IOC"), ("LIMIT", "FOK"),
               ("MARKET", "IOC"), ("MARKET", "FOK"), ("MARKET", "GTC"), ("POST_ONLY", "GTC"), ("POST_ONLY", "IOC")]

QUANTITIES = list(range(1, 13)) * 3 + [0, -1]  # mostly valid, sometimes not
MIN_FILLS = [1] * 6 + [2, 3, 4, 5]  # mostly any fill, often a cross-border order's minimum
new_op = st.tuples(st.just("new"), st.sampled_from([BUY, SELL]), st.sampled_from(ORDER_KINDS),
                   st.integers(97, 103), st.sampled_from(QUANTITIES), st.integers(0, 40), st.integers(0, 15),
                   st.sampled_from(MIN_FILLS))
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 5))
amend_op = st.tuples(st.just("amend"), st.integers(0, 5), st.one_of(st.none(), st.integers(97, 103)),
                     st.one_of(st.none(), st.sampled_from(QUANTITIES)))
clock_op = st.tuples(st.just("clock"), st.integers(1, 20))
streams = st.lists(st.one_of(new_op, new_op, new_op, cancel_op, amend_op, clock_op), min_size=10, max_size=80)


def to_commands(ops):
    commands, ids, now = [], [], 0
    for op in ops:
        if op[0] == "new":
            _, side, (order_type, tif), price, quantity, expiry, reuse, min_fill = op
            order_id = ids[len(ids) // 2] if reuse == 0 and ids else f"o{len(commands)}"
            ids.append(order_id)
            commands.append(SubmitOrder(
                order_id=order_id, account=f"CN-BJ/{len(commands) % 3}", side=side, quantity=quantity,
                price=None if order_type == "MARKET" else price, order_type=order_type, time_in_force=tif,
                ts=now, expire_at=now + expiry if tif == "GTD" else None, min_fill=min_fill))
        elif op[0] == "clock":
            now += op[1]
            commands.append(AdvanceClock(ts=now))
        elif ids:
            order_id = ids[-1 - op[1] % min(len(ids), 6)]  # mostly recent, often live
            if op[0] == "cancel":
                commands.append(CancelOrder(order_id=order_id, ts=now))
            else:
                commands.append(AmendOrder(order_id=order_id, price=op[2], quantity=op[3], ts=now))
    return commands


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams)
def test_the_engine_and_the_reference_matcher_produce_the_same_trades_and_book(ops):
    engine, reference = make_engine(), ReferenceMatcher()
    trades = []
    for command in to_commands(ops):
        reference.apply(command)
        trades.extend((e.buy_order_id, e.sell_order_id, e.price, e.quantity, e.aggressor_side)
                      for e in engine.handle(command) if type(e) is TradeExecuted)
    assert trades == reference.trades
    for side in (BUY, SELL):
        assert [(o.price, o.order_id, o.remaining) for o in engine.book.side(side).orders_best_first()] == (
            reference.book(side))


def dense_stream(rng, size):
    """Busy streams the structured strategy rarely reaches: many live orders, most commands hit the book."""
    ops = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.12:
            ops.append(("cancel", rng.randrange(6)))
        elif roll < 0.27:
            ops.append(("amend", rng.randrange(6), rng.choice([None, rng.randint(97, 103)]),
                        rng.choice([None, rng.randint(1, 12), rng.randint(-1, 12)])))
        elif roll < 0.3:
            ops.append(("clock", rng.randint(1, 20)))
        else:
            ops.append(("new", rng.choice([BUY, SELL]), rng.choice(ORDER_KINDS), rng.randint(97, 103),
                        rng.randint(1, 12), rng.randint(0, 40), rng.randrange(30), rng.choice(MIN_FILLS)))
    return ops


@settings(max_examples=150, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(50, 250))
def test_the_engine_and_the_reference_matcher_agree_on_busy_streams(rng, size):
    test_the_engine_and_the_reference_matcher_produce_the_same_trades_and_book.hypothesis.inner_test(
        dense_stream(rng, size))
