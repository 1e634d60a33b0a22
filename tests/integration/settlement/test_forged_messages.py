"""Each topic accepts only its own message types from its own producer: a forged or invalid message on
`orders.events` or `bridge.results` goes to the dead-letter topic and touches no account, and settlement goes on."""

from __future__ import annotations

import orjson
import pytest

from services.settlement.trade_state import trade_key
from shared import market_keys
from shared.kafka import publish
from shared.messages.operations import DeadLettered
from shared.messages.order_commands import SubmitOrder
from shared.messages.post_trade import DeliveryDecided
from shared.topics import BRIDGE_RESULTS, DEADLETTER, ORDERS_EVENTS
from tests.integration.settlement.books import UNIT, Books
from tests.integration.settlement.conftest import Harness, next_event_id

pytestmark = pytest.mark.integration


async def letters_about(harness: Harness, marker: str) -> list[DeadLettered]:
    return await harness.wait_for(lambda: [m for m in harness.messages(DEADLETTER.name, DeadLettered) if marker in m.raw])


def untouched(harness: Harness, books: Books, *trade_ids: str) -> bool:
    accounts = (books.buyer, books.seller)
    return (not any(harness.redis.exists(trade_key(t)) for t in trade_ids)
            and not any(harness.redis.exists(market_keys.account_trades(a), market_keys.account_settlements(a))
                        for a in accounts))


async def test_trades_naming_unknown_orders_or_a_negative_quantity_are_dead_lettered_not_failed(settlement) -> None:
    books = settlement.books()
    await settlement.list_instrument(books.instrument)
    unknown = books.trade(1, buy_order_id="never-accepted-b", sell_order_id="never-accepted-s",
                          maker_order_id="never-accepted-s", taker_order_id="never-accepted-b")
    negative = books.trade(2).model_dump(mode="json") | {"quantity": -5}

    await settlement.publish(unknown)
    await settlement.producer.send_and_wait(ORDERS_EVENTS.name, orjson.dumps({
        "event_id": next_event_id(books.instrument.id), "type": "TradeExecuted", "occurred_at": 1,
        "payload": negative}), key=books.instrument.id.encode())

    [unknown_letter] = await letters_about(settlement, "never-accepted-b")
    assert "fits no reservation" in unknown_letter.reason and unknown_letter.source_topic == ORDERS_EVENTS.name
    [negative_letter] = await letters_about(settlement, f'"trade_id":"{books.instrument.id}:T2"')
    assert "invalid message" in negative_letter.reason
    assert untouched(settlement, books, unknown.trade_id, f"{books.instrument.id}:T2")


async def test_a_command_on_the_events_topic_and_messages_from_the_wrong_producer_are_dead_lettered(settlement) -> None:
    books = settlement.books()
    await settlement.list_instrument(books.instrument)
    books.reserve_buy("b1")
    books.reserve_sell("s1")
    submit = SubmitOrder(order_id=books.order_id("forged"), client_order_id="forged", instrument=books.instrument.id,
                         account=books.buyer, side="BUY", order_type="LIMIT", time_in_force="GTC", price=5_000,
                         quantity=10)
    trade = books.trade()

    await settlement.publish(submit)
    # the trade and a decision on it, each stamped by a service that does not produce its topic
    await publish(settlement.bridge_producer, ORDERS_EVENTS.name, books.instrument.id, trade,
                  event_id=next_event_id(books.instrument.id), occurred_at=1, wait=True)
    await publish(settlement.producer, BRIDGE_RESULTS.name, books.instrument.id,
                  DeliveryDecided(trade_id=trade.trade_id, instrument=books.instrument.id, outcome="REFUSED",
                                  link_id=None, reason_code=7151, reason="FORGED", message="forged"),
                  event_id=f"forged:{trade.trade_id}", occurred_at=1, wait=True)

    [command] = await letters_about(settlement, books.order_id("forged"))
    assert command.reason == f"SubmitOrder is not a message of {ORDERS_EVENTS.name}"
    def misrouted() -> list[DeadLettered]:
        return [m for m in settlement.messages(DEADLETTER.name, DeadLettered) if trade.trade_id in m.raw]

    await settlement.wait_for(lambda: len(misrouted()) == 2)
    assert {m.source_topic for m in misrouted()} == {ORDERS_EVENTS.name, BRIDGE_RESULTS.name}
    assert all("accepts messages from" in m.reason for m in misrouted())
    assert untouched(settlement, books, trade.trade_id)

    await settlement.publish(trade)  # the same trade from matching settles
    await settlement.wait_for(lambda: settlement.redis.hget(trade_key(trade.trade_id), "status") == b"SETTLED")
    assert settlement.ledger.balances(books.buyer)[UNIT.asset] == (40, 0)


async def test_an_event_whose_id_is_not_its_instruments_sequence_is_dead_lettered(settlement) -> None:
    books = settlement.books()
    await settlement.list_instrument(books.instrument)
    books.reserve_buy("b1")
    books.reserve_sell("s1")
    trade = books.trade()

    await settlement.publish(trade, event_id=f"OTHER:{books.instrument.id}:7")

    [letter] = await letters_about(settlement, trade.trade_id)
    assert "not an event of matching" in letter.reason
    assert untouched(settlement, books, trade.trade_id)
