"""Amended orders on the real Redis and broker: settlement rebases the reservation on OrderAmended, so later
fills consume the amended terms exactly and what the amended order no longer needs goes back to available."""

from __future__ import annotations

import pytest

from shared import cash_legs, fees
from carbonlink.audit.ledger import check_reservations
from services.settlement.trade_state import SETTLED, trade_key
from shared import redis_keys
from shared.kafka import publish
from shared.ledger import AdjustRecord, Entry, EntryKind, Ledger, Posting, SetRecord
from shared.ledger.snapshot import take_snapshot
from shared.messages.order_events import OrderAmended
from shared.messages.vocabulary import Side
from shared.topics import ORDERS_EVENTS
from tests.integration.settlement.books import CASH, CNY, FEES, UNIT, UNITS, Books

pytestmark = pytest.mark.integration


def reserve_more(ledger: Ledger, books: Books, name: str, *, account: str, asset: str, amount: int) -> None:
    """What order entry does on an amend that needs more: add to the order's reservation record."""
    key = redis_keys.reservation_key(books.order_id(name))
    expect = {"account": account, "asset": asset}
    entry = Entry(entry_id=f"amend:{books.order_id(name)}:{amount}", kind=EntryKind.RESERVE, time=3,
                  postings=(Posting(account, asset, "a", -amount), Posting(account, asset, "r", amount)),
                  records=(AdjustRecord(key, "remaining", amount, expect=expect),
                           AdjustRecord(key, "reserved", amount, expect=expect)))
    assert ledger.post(entry).ok


def amended(books: Books, name: str, *, price: int | None, quantity: int, side: Side = Side.BUY) -> OrderAmended:
    return OrderAmended(order_id=books.order_id(name), instrument=books.instrument.id,
                        account=books.buyer if side is Side.BUY else books.seller, side=side, price=price,
                        quantity=quantity, lost_priority=True)


def record(harness, books: Books, name: str) -> dict[str, str]:
    return harness.ledger.record(redis_keys.reservation_key(books.order_id(name)))


async def rebased(harness, books: Books, name: str, **fields: str) -> None:
    await harness.wait_for(lambda: all(record(harness, books, name).get(k) == v for k, v in fields.items()))


async def settled(harness, trade_id: str) -> None:
    await harness.wait_for(lambda: harness.redis.hget(trade_key(trade_id), "status") == SETTLED.encode())


def reservations_balance(harness) -> bool:
    return check_reservations(harness.redis, take_snapshot(harness.redis)).ok


async def test_a_buy_amended_up_in_price_then_filled_pays_exactly_at_the_new_terms(settlement) -> None:
    books = settlement.books()
    await settlement.list_instrument(books.instrument)
    books.reserve_buy("b1", limit_price=5_000, qty=100)
    books.reserve_sell("s1", qty=100)
    increase = (fees.buy_reservation(FEES, limit_price=5_200, quantity=100)
                - fees.buy_reservation(FEES, limit_price=5_000, quantity=100))
    reserve_more(settlement.ledger, books, "b1", account=books.buyer, asset=CNY, amount=increase)
    fees_before = settlement.ledger.balances("CN-BJ/FEES").get(CNY, (0, 0))[0]

    await settlement.publish(amended(books, "b1", price=5_200, quantity=100), event_id=f"{books.instrument.id}:5")
    await rebased(settlement, books, "b1", limit_price="5200")
    trade = books.trade(price=5_100, quantity=100, buy_leaves_quantity=0, sell_leaves_quantity=0)
    await settlement.publish(trade)
    await settled(settlement, trade.trade_id)

    buyer_fee, seller_fee = FEES.fee(510_000, maker=False), FEES.fee(510_000, maker=True)
    assert settlement.ledger.balances(books.buyer) == {CNY: (CASH - 510_000 - buyer_fee, 0), UNIT.asset: (100, 0)}
    assert settlement.ledger.balances(books.seller) == {CNY: (510_000 - seller_fee, 0), UNIT.asset: (UNITS - 100, 0)}
    assert settlement.ledger.balances("CN-BJ/FEES")[CNY][0] - fees_before == buyer_fee + seller_fee
    assert record(settlement, books, "b1") == {} and reservations_balance(settlement)


async def test_a_buy_amended_down_in_price_gets_the_excess_back_once(settlement) -> None:
    books = settlement.books()
    await settlement.list_instrument(books.instrument)
    books.reserve_buy("b1", limit_price=5_000, qty=100)
    event = amended(books, "b1", price=4_800, quantity=100)

    for _ in range(2):  # a redelivery releases nothing more
        await settlement.publish(event, event_id=f"{books.instrument.id}:9")
    await rebased(settlement, books, "b1", limit_price="4800")

    need = fees.buy_reservation(FEES, limit_price=4_800, quantity=100)
    assert settlement.ledger.balances(books.buyer)[CNY] == (CASH - need, need)
    assert record(settlement, books, "b1")["remaining"] == str(need)
    rebases = [r for r in settlement.ledger.journal("CN-BJ") if r.entry_id == f"rebase:{books.instrument.id}:9"]
    assert len(rebases) == 1 and rebases[0].meta["released"] == 500_500 - need
    assert reservations_balance(settlement)


async def test_a_sell_amended_down_in_quantity_gets_its_excess_units_back(settlement) -> None:
    books = settlement.books()
    await settlement.list_instrument(books.instrument)
    books.reserve_sell("s1", qty=100)

    await settlement.publish(amended(books, "s1", price=5_000, quantity=30, side=Side.SELL),
                             event_id=f"{books.instrument.id}:3")
    await rebased(settlement, books, "s1", quantity="30")

    assert settlement.ledger.balances(books.seller)[UNIT.asset] == (UNITS - 30, 30)
    assert record(settlement, books, "s1")["remaining"] == "30" and reservations_balance(settlement)


async def test_fills_before_and_after_an_amended_up_quantity_in_one_burst_settle_at_their_own_terms(settlement) -> None:
    books = settlement.books()
    await settlement.list_instrument(books.instrument)
    books.reserve_buy("b1", limit_price=5_000, qty=100)
    books.reserve_sell("s1", qty=190)
    first = books.trade(1, price=4_900, quantity=40, buy_leaves_quantity=60, sell_leaves_quantity=150)
    # order entry, knowing of the first fill, reserves for 150 open instead of 60 after the 40 filled
    increase = (fees.reserved_share(FEES, limit_price=5_000, filled=190)
                - fees.reserved_share(FEES, limit_price=5_000, filled=100))
    reserve_more(settlement.ledger, books, "b1", account=books.buyer, asset=CNY, amount=increase)
    second = books.trade(2, price=5_000, quantity=150, buy_leaves_quantity=0, sell_leaves_quantity=0)

    burst = [(first, f"{books.instrument.id}:1"), (amended(books, "b1", price=None, quantity=150),
                                                     f"{books.instrument.id}:4"), (second, f"{books.instrument.id}:6")]
    for message, event_id in burst:
        await publish(settlement.producer, ORDERS_EVENTS.name, books.instrument.id, message, event_id=event_id,
                      occurred_at=1_700_000_000_000)
    await settlement.producer.flush()
    for trade in (first, second):
        await settled(settlement, trade.trade_id)

    cash = cash_legs.fill_cash(FEES, limit_price=5_000, order_qty=100, filled_before=0, qty=40, price=4_900,
                           buyer_is_maker=False)
    paid = cash.buyer.paid + 750_000 + FEES.fee(750_000, maker=False)
    assert settlement.ledger.balances(books.buyer) == {CNY: (CASH - paid, 0), UNIT.asset: (190, 0)}
    assert settlement.ledger.balances(books.seller)[UNIT.asset] == (UNITS - 190, 0)
    assert reservations_balance(settlement)


async def test_a_rebase_onto_less_than_the_order_needs_keeps_what_is_there_and_flags_it(settlement) -> None:
    books = settlement.books()
    await settlement.list_instrument(books.instrument)
    held = books.reserve_buy("b1", limit_price=5_000, qty=100)

    await settlement.publish(amended(books, "b1", price=None, quantity=150), event_id=f"{books.instrument.id}:2")
    await rebased(settlement, books, "b1", quantity="150")

    assert settlement.ledger.balances(books.buyer)[CNY] == (CASH - held, held)
    assert record(settlement, books, "b1")["remaining"] == str(held)
    entry = next(r for r in settlement.ledger.journal("CN-BJ") if r.entry_id == f"rebase:{books.instrument.id}:2")
    assert entry.meta["shortfall"] == fees.buy_reservation(FEES, limit_price=5_000, quantity=150) - held
    assert reservations_balance(settlement)


def test_a_record_set_never_touches_what_the_balances_depend_on(settlement) -> None:
    books = settlement.books()
    books.reserve_buy("b1")
    key = redis_keys.reservation_key(books.order_id("b1"))

    refused = settlement.ledger.post(Entry(entry_id=f"set:{books.tag}", kind=EntryKind.RELEASE, time=1,
                                           records=(SetRecord(key, {"limit_price": "1", "remaining": "0"}),)))

    assert not refused.ok and refused.code == "INVALID_ENTRY"
    assert record(settlement, books, "b1")["limit_price"] == "5000"
