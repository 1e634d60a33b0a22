"""A Beijing allowance instrument on the books of the ledger contract suite (``tests.contracts.ledger``) and a
trade matched on it, for unit tests that drive settlement's and the bridge's decisions on the fake ledger."""

from __future__ import annotations

from shared.messages.order_events import TradeExecuted
from shared.messages.vocabulary import Side
from shared.reference import Fees, Instrument, UnitClass
from tests.contracts.ledger import BUYER, CASH, FEES, SELLER, SEOUL, open_books
from tests.fakes.ledger import InMemoryLedger

INSTRUMENT = Instrument(id="BJEA", registry="CN-BJ", currency="CNY", tick=1, lot=1,
                        unit=UnitClass(origin="CN-BJ", type="ALLOWANCE", vintage=2025),
                        fees=Fees(maker_bps=FEES.maker_bps, taker_bps=FEES.taker_bps, min_fee=FEES.min_fee))


async def books() -> InMemoryLedger:
    """The contract suite's books on the fake ledger; Seoul's trader holds CASH in CNY too (it buys Beijing units)."""
    ledger = await open_books(InMemoryLedger())
    assert (await ledger.deposit(entry_id="seoul-cash", account=SEOUL, currency="CNY", amount=CASH, time=1)).ok
    return ledger


def trade(*, buyer: str = BUYER, price: int = 4_900, quantity: int = 40, leaves: int = 60) -> TradeExecuted:
    """``BJEA:T1``: the seller's resting ``s1`` meets the buyer's ``b1`` (both orders of ``place_orders``)."""
    return TradeExecuted(
        trade_id="BJEA:T1", instrument=INSTRUMENT.id, trade_seq=1, price=price, quantity=quantity,
        aggressor_side=Side.BUY, maker_order_id="s1", taker_order_id="b1", maker_account=SELLER, taker_account=buyer,
        buy_order_id="b1", sell_order_id="s1", buy_account=buyer, sell_account=SELLER, buy_leaves_quantity=leaves,
        sell_leaves_quantity=leaves)
