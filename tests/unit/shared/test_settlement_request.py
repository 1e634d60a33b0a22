"""A domestic fill's ``post.lua`` arguments made straight from what its plan read are those of the built entry."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.fees import FeeSchedule, buy_reservation
from shared.ledger.encoding import encode
from shared.ledger.entries import TradeSides, settle_domestic_trade

ACCOUNTS = ("CN-BJ/alice", "CN-BJ/bob", "CN-BJ/FEES", "CN-SH/carol")


def plan(*, qty: int, price: int, buy_leaves: int, sell_leaves: int, buyer: str = "CN-BJ/alice",
         seller: str = "CN-BJ/bob", fees: FeeSchedule = FeeSchedule(maker_bps=5, taker_bps=10, min_fee=1),
         buyer_is_maker: bool = False):
    sides = TradeSides(trade_id="BJA:T7", buyer_account=buyer, seller_account=seller, buy_order_id="b1",
                       sell_order_id="s1", unit_class="U:CN-BJ:ALLOWANCE:2025", currency="CNY", qty=qty,
                       buy_leaves=buy_leaves, sell_leaves=sell_leaves)
    return settle_domestic_trade(trade=sides, price=price, buyer_is_maker=buyer_is_maker, fees=fees,
                                 registry="CN-BJ", time=1_700_000_000_123)


def the_same(p, read) -> None:
    entry = p.build(read)
    assert p.encoded(read) == (entry.entry_id, *encode(entry))


def buy_record(*, limit_price: int, quantity: int, fees: FeeSchedule) -> dict[str, str]:
    amount = buy_reservation(fees, limit_price=limit_price, quantity=quantity)
    return {"account": "CN-BJ/alice", "asset": "C:CNY", "remaining": str(amount), "limit_price": str(limit_price),
            "quantity": str(quantity)}


@settings(max_examples=300, deadline=None)
@given(order_qty=st.integers(1, 500), data=st.data(), limit_price=st.integers(1, 10**7),
       maker_bps=st.integers(0, 50), taker_bps=st.integers(0, 50), min_fee=st.integers(0, 500),
       buyer_is_maker=st.booleans(), buyer=st.sampled_from(ACCOUNTS), seller=st.sampled_from(ACCOUNTS))
def test_a_fill_that_fits_its_order_encodes_as_its_built_entry(order_qty, data, limit_price, maker_bps, taker_bps,
                                                               min_fee, buyer_is_maker, buyer, seller) -> None:
    fees = FeeSchedule(maker_bps=maker_bps, taker_bps=taker_bps, min_fee=min_fee)
    filled_before = data.draw(st.integers(0, order_qty - 1))
    qty = data.draw(st.integers(1, order_qty - filled_before))
    price = data.draw(st.integers(1, limit_price))
    p = plan(qty=qty, price=price, buy_leaves=order_qty - filled_before - qty,
             sell_leaves=data.draw(st.integers(0, 3)), buyer=buyer, seller=seller, fees=fees,
             buyer_is_maker=buyer_is_maker)
    the_same(p, [buy_record(limit_price=limit_price, quantity=order_qty, fees=fees), {}])


def test_a_fill_the_script_refuses_encodes_as_its_built_entry() -> None:
    fees = FeeSchedule(maker_bps=5, taker_bps=10, min_fee=1)
    record = buy_record(limit_price=5_000, quantity=10, fees=fees)
    the_same(plan(qty=0, price=4_900, buy_leaves=10, sell_leaves=10), [record, {}])
    the_same(plan(qty=1, price=-1, buy_leaves=9, sell_leaves=9), [record, {}])
    the_same(plan(qty=1, price=5_001, buy_leaves=9, sell_leaves=9), [record, {}])  # above the limit
    the_same(plan(qty=5, price=4_900, buy_leaves=9, sell_leaves=9), [record, {}])  # more than the order holds
    the_same(plan(qty=1, price=4_900, buy_leaves=9, sell_leaves=9), [{}, {}])  # no such reservation
    the_same(plan(qty=1, price=4_900, buy_leaves=9, sell_leaves=9), [{**record, "limit_price": "x"}, {}])
