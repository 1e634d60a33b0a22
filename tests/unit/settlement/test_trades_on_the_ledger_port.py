"""Settlement's decisions on the ledger port, run on the in-memory fake (no servers): how a matched trade is
planned (domestic delivery versus payment, or holds for the bridge), what the bridge is asked, and which ledger
refusals mean the trade is not ours."""

from __future__ import annotations

import pytest

from services.settlement import translate
from services.settlement.order_events import NOT_OUR_TRADE
from shared import redis_keys
from shared.ledger import LedgerPort, entries
from shared.messages.post_trade import TradeSettled
from tests.contracts.ledger import BJ_UNIT, BUYER, CASH, CNY, FEES, SELLER, SEOUL, UNITS, place_orders
from tests.unit.ledger_books import INSTRUMENT, books, trade


@pytest.fixture
async def ledger() -> LedgerPort:
    return await books()


async def test_a_domestic_trade_delivers_units_against_cash_in_one_entry(ledger: LedgerPort) -> None:
    reserved = await place_orders(ledger)
    matched = trade()
    cross, plan = translate.trade_plan(matched, INSTRUMENT, at=3)
    (result,) = await ledger.run_many([plan])

    assert not cross and result.ok
    payload = translate.settled_payload(matched, INSTRUMENT, result.entry_id)
    settled = TradeSettled.model_validate(payload)
    assert settled.model_dump(mode="json") == payload  # the event as its model would dump it, built without it
    assert (settled.delivered_quantity, settled.entry_ids, settled.cross_registry) == (40, [result.entry_id], False)
    assert (settled.delivered_asset, settled.price) == (INSTRUMENT.unit_asset, 4_900)
    assert (await ledger.balances(BUYER))[BJ_UNIT] == (40, 0)
    seller_cash, _ = (await ledger.balances(SELLER))[CNY]
    assert seller_cash == 4_900 * 40 - FEES.fee(4_900 * 40, maker=True)
    buyer_cash, buyer_reserved = (await ledger.balances(BUYER))[CNY]
    assert buyer_cash + buyer_reserved == CASH - 4_900 * 40 - FEES.fee(4_900 * 40, maker=False)
    assert buyer_reserved < reserved
    assert (await ledger.balances(SELLER))[BJ_UNIT] == (UNITS - 100, 60)


async def test_a_cross_registry_trade_is_held_and_the_bridge_is_asked_to_pay_from_the_buyers_hold(
        ledger: LedgerPort) -> None:
    await place_orders(ledger, buyer=SEOUL)
    matched = trade(buyer=SEOUL, quantity=100, leaves=0)
    cross, plan = translate.trade_plan(matched, INSTRUMENT, at=3)
    (result,) = await ledger.run_many([plan])

    assert cross and result.ok
    (hold,) = await ledger.read_records([redis_keys.hold_key(matched.trade_id, entries.BUY)])
    request = translate.delivery_request(matched, INSTRUMENT, hold, matched_at=3)
    assert request.buyer_cash == 4_900 * 100 + request.buyer_fee <= int(hold["remaining"])
    assert request.seller_cash == 4_900 * 100 - request.seller_fee
    assert (await ledger.balances(SEOUL)).get(BJ_UNIT) is None  # the bridge delivers, not settlement


async def test_a_trade_naming_no_reservation_of_this_exchange_is_not_ours(ledger: LedgerPort) -> None:
    _, plan = translate.trade_plan(trade(), INSTRUMENT, at=3)
    (result,) = await ledger.run_many([plan])

    assert not result.ok and result.code in NOT_OUR_TRADE
    assert translate.refused_by_ledger(trade(), result).reason_code == translate.LEDGER_REFUSED
