"""The settlement service on the real Redis and broker: delivery versus payment, releases, the bridge hand-off,
redelivery, and inputs it cannot settle."""

from __future__ import annotations

import orjson
import pytest

from shared import cash_legs
from services.settlement.trade_state import FAILED, PENDING_BRIDGE, PENDING_TRADES, SETTLED, trade_key
from shared import market_keys, redis_keys
from shared.ledger import registry_of
from shared.messages.operations import DeadLettered
from shared.messages.order_events import OrderCancelled
from shared.messages.post_trade import DeliveryDecided, DeliveryRequested, TradeFailed, TradeSettled
from shared.messages.vocabulary import Side
from shared.topics import BRIDGE_REQUESTS, BRIDGE_RESULTS, DEADLETTER, ORDERS_EVENTS, REGISTRY_TRANSFERS, SETTLEMENT_EVENTS
from tests.integration.settlement.books import CASH, CNY, FEES, UNIT, UNITS
from tests.integration.settlement.conftest import next_event_id

pytestmark = pytest.mark.integration


def state(harness, trade_id: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in harness.redis.hgetall(trade_key(trade_id)).items()}


async def settled(harness, trade_id: str, status: str = SETTLED) -> dict[str, str]:
    await harness.wait_for(lambda: state(harness, trade_id).get("status") == status)
    return state(harness, trade_id)


async def listed(harness, books) -> None:
    await harness.list_instrument(books.instrument)


async def test_a_domestic_trade_delivers_units_against_cash_in_one_entry(settlement) -> None:
    books = settlement.books()
    await listed(settlement, books)
    reserved = books.reserve_buy("b1", limit_price=5_000, qty=100)
    books.reserve_sell("s1", qty=100)
    trade = books.trade(price=4_900, quantity=40)

    await settlement.publish(trade)
    record = await settled(settlement, trade.trade_id)

    cash = cash_legs.fill_cash(FEES, limit_price=5_000, order_qty=100, filled_before=0, qty=40, price=4_900,
                           buyer_is_maker=False)
    buyer, seller = settlement.ledger.balances(books.buyer), settlement.ledger.balances(books.seller)
    assert buyer[UNIT.asset] == (40, 0)
    assert buyer[CNY] == (CASH - reserved + cash.buyer.released, reserved - cash.buyer.consumed)
    assert seller[CNY] == (4_900 * 40 - cash.seller.fee, 0)
    assert seller[UNIT.asset] == (UNITS - 100, 60)
    assert record["entry_ids"] == f"settle:{trade.trade_id}" and record["route"] == "DOMESTIC"
    events = await settlement.wait_for(
        lambda: settlement.messages(SETTLEMENT_EVENTS.name, TradeSettled, trade_id=trade.trade_id))
    assert events[0].entry_ids == [f"settle:{trade.trade_id}"] and events[0].delivered_quantity == 40
    for account in (books.buyer, books.seller):
        assert [orjson.loads(r)["trade_id"] for r in settlement.redis.lrange(market_keys.account_trades(account), 0, -1)] \
            == [trade.trade_id]
        assert [orjson.loads(r)["type"] for r in settlement.redis.lrange(market_keys.account_settlements(account), 0, -1)] \
            == ["TradeSettled"]


async def test_the_buyer_gets_the_price_improvement_back_on_available(settlement) -> None:
    books = settlement.books()
    await listed(settlement, books)
    reserved = books.reserve_buy("b1", limit_price=5_000, qty=100)
    books.reserve_sell("s1")
    trade = books.trade(price=4_000, quantity=100, buy_leaves_quantity=0, sell_leaves_quantity=0)

    await settlement.publish(trade)
    await settled(settlement, trade.trade_id)

    paid = 4_000 * 100 + FEES.fee(400_000, maker=False)
    assert settlement.ledger.balances(books.buyer)[CNY] == (CASH - paid, 0)
    assert reserved - paid == 100_000 + 500 - 400  # the limit's notional and fee above what was paid


async def test_both_fees_go_to_the_fee_account_of_the_instruments_registry(settlement) -> None:
    books = settlement.books()
    await listed(settlement, books)
    books.reserve_buy("b1")
    books.reserve_sell("s1")
    fees_before = settlement.ledger.balances("CN-BJ/FEES").get(CNY, (0, 0))[0]
    trade = books.trade(price=5_000, quantity=10, buy_leaves_quantity=90, sell_leaves_quantity=90,
                        aggressor_side=Side.SELL, maker_order_id=books.order_id("b1"),
                        taker_order_id=books.order_id("s1"))

    await settlement.publish(trade)
    await settled(settlement, trade.trade_id)

    buyer_fee = FEES.fee(50_000, maker=True)   # 25 → the minimum, 100
    seller_fee = FEES.fee(50_000, maker=False)  # 50 → the minimum, 100
    assert settlement.ledger.balances("CN-BJ/FEES")[CNY][0] - fees_before == buyer_fee + seller_fee == 200
    assert settlement.ledger.balances(books.seller)[CNY] == (50_000 - seller_fee, 0)


async def test_a_redelivered_trade_settles_once(settlement) -> None:
    books = settlement.books()
    await listed(settlement, books)
    books.reserve_buy("b1")
    books.reserve_sell("s1")
    trade = books.trade()

    event_id = next_event_id(trade.instrument)
    for _ in range(3):
        await settlement.publish(trade, event_id=event_id)
    await settled(settlement, trade.trade_id)
    later = books.trade(seq=2, quantity=10, buy_leaves_quantity=50, sell_leaves_quantity=50)
    await settlement.publish(later)
    await settled(settlement, later.trade_id)  # in order after the repeats: they were all handled
    await settlement.wait_for(lambda: settlement.messages(SETTLEMENT_EVENTS.name, TradeSettled, trade_id=later.trade_id))

    assert settlement.ledger.balances(books.buyer)[UNIT.asset] == (50, 0)
    assert len(settlement.messages(SETTLEMENT_EVENTS.name, TradeSettled, trade_id=trade.trade_id)) == 1
    assert state(settlement, trade.trade_id)["settled_count"] == "1"
    assert settlement.redis.llen(market_keys.account_settlements(books.buyer)) == 2
    assert settlement.redis.llen(market_keys.account_trades(books.seller)) == 2


async def test_a_cancel_releases_what_remains_of_the_order(settlement) -> None:
    books = settlement.books()
    await listed(settlement, books)
    books.reserve_buy("b1")
    books.reserve_sell("s1")
    trade = books.trade(quantity=40)
    cancel = OrderCancelled(order_id=books.order_id("b1"), instrument=books.instrument.id, account=books.buyer,
                            side=Side.BUY, reason="USER", remaining_quantity=60)

    await settlement.publish(trade)
    await settlement.publish(cancel)
    await settlement.wait_for(lambda: not settlement.redis.exists(redis_keys.reservation_key(books.order_id("b1"))))

    cash = cash_legs.fill_cash(FEES, limit_price=5_000, order_qty=100, filled_before=0, qty=40, price=4_900,
                           buyer_is_maker=False)
    assert settlement.ledger.balances(books.buyer)[CNY] == (CASH - cash.buyer.paid, 0)
    assert settlement.ledger.balances(books.seller)[UNIT.asset] == (UNITS - 100, 60)  # the sell is still open


async def test_a_fill_that_completes_an_order_leaves_none_of_its_reservation_behind(settlement) -> None:
    books = settlement.books()
    await listed(settlement, books)
    books.reserve_buy("b1", limit_price=5_003, qty=7)
    books.reserve_sell("s1", qty=7)
    first = books.trade(1, price=4_999, quantity=3, buy_leaves_quantity=4, sell_leaves_quantity=4)
    last = books.trade(2, price=5_001, quantity=4, buy_leaves_quantity=0, sell_leaves_quantity=0)

    await settlement.publish(first)
    await settlement.publish(last)
    await settled(settlement, last.trade_id)

    for order in ("b1", "s1"):
        assert not settlement.redis.exists(redis_keys.reservation_key(books.order_id(order)))
    assert settlement.ledger.balances(books.buyer)[CNY][1] == 0
    assert settlement.ledger.balances(books.seller)[UNIT.asset] == (UNITS - 7, 0)


async def _cross_registry_trade(settlement, books):
    await listed(settlement, books)
    books.reserve_buy("b1", account=books.foreign)
    books.reserve_sell("s1")
    trade = books.trade(buy_account=books.foreign, taker_account=books.foreign)
    await settlement.publish(trade)
    requests = await settlement.wait_for(
        lambda: settlement.messages(BRIDGE_REQUESTS.name, DeliveryRequested, trade_id=trade.trade_id))
    return trade, requests[0]


async def test_a_cross_registry_trade_is_held_and_put_to_the_bridge(settlement) -> None:
    books = settlement.books()
    trade, request = await _cross_registry_trade(settlement, books)

    cash = cash_legs.fill_cash(FEES, limit_price=5_000, order_qty=100, filled_before=0, qty=40, price=4_900,
                           buyer_is_maker=False)
    assert registry_of(request.buy_account) == "KR" and request.unit_asset == UNIT.asset
    assert (request.buyer_cash, request.seller_cash) == (cash.buyer.paid, cash.seller.received)
    assert (request.buyer_fee, request.seller_fee) == (cash.buyer.fee, cash.seller.fee)
    buy_hold = settlement.ledger.record(redis_keys.hold_key(trade.trade_id, "buy"))
    sell_hold = settlement.ledger.record(redis_keys.hold_key(trade.trade_id, "sell"))
    assert int(buy_hold["remaining"]) == cash.buyer.consumed and sell_hold["remaining"] == "40"
    assert settlement.ledger.balances(books.seller)[UNIT.asset] == (UNITS - 100, 100)  # still reserved, in a hold
    assert state(settlement, trade.trade_id)["status"] == PENDING_BRIDGE
    assert settlement.redis.zscore(PENDING_TRADES, trade.trade_id) is not None


async def test_a_refused_delivery_releases_both_holds_and_fails_the_trade_with_the_bridge_code(settlement) -> None:
    books = settlement.books()
    trade, request = await _cross_registry_trade(settlement, books)
    reserved_before = settlement.ledger.balances(books.foreign)[CNY]

    await settlement.publish(DeliveryDecided(trade_id=trade.trade_id, instrument=trade.instrument, outcome="REFUSED",
                                             link_id="BJ-KR", reason_code=7151, reason="PERIOD_CAP_EXCEEDED",
                                             message="The link's cap for this period would be exceeded."),
                             topic=BRIDGE_RESULTS.name)
    record = await settled(settlement, trade.trade_id, FAILED)

    assert (record["reason_code"], record["reason"]) == ("7151", "PERIOD_CAP_EXCEEDED")
    failed = await settlement.wait_for(lambda: settlement.messages(SETTLEMENT_EVENTS.name, TradeFailed,
                                                                   trade_id=trade.trade_id))
    assert failed[0].reason_code == 7151 and failed[0].buy_account == books.foreign
    held = int(settlement.ledger.record(redis_keys.reservation_key(books.order_id("b1")))["remaining"])
    hold_portion = reserved_before[1] - held
    assert settlement.ledger.balances(books.foreign)[CNY] == (reserved_before[0] + hold_portion, held)
    assert settlement.ledger.balances(books.seller)[UNIT.asset] == (UNITS - 60, 60)
    assert not settlement.redis.exists(redis_keys.hold_key(trade.trade_id, "buy"), redis_keys.hold_key(trade.trade_id, "sell"))
    assert settlement.redis.zscore(PENDING_TRADES, trade.trade_id) is None
    assert settlement.redis.llen(market_keys.account_settlements(books.foreign)) == 1


async def test_an_approved_delivery_settles_the_trade(settlement) -> None:
    books = settlement.books()
    trade, request = await _cross_registry_trade(settlement, books)

    await settlement.publish(DeliveryDecided(trade_id=trade.trade_id, instrument=trade.instrument, outcome="APPROVED",
                                             link_id="BJ-KR", reason_code=0, reason="", message="",
                                             sent_quantity=40, delivered_quantity=40,
                                             delivered_asset="U:CN-BJ:ALLOWANCE:2025"),
                             topic=BRIDGE_RESULTS.name)
    await settled(settlement, trade.trade_id)

    events = await settlement.wait_for(lambda: settlement.messages(SETTLEMENT_EVENTS.name, TradeSettled,
                                                                   trade_id=trade.trade_id))
    assert events[0].cross_registry and events[0].delivered_quantity == 40
    assert events[0].entry_ids[0] == f"hold:{trade.trade_id}"


async def test_garbage_and_trades_of_unknown_instruments_are_dead_lettered_and_settlement_goes_on(settlement) -> None:
    books = settlement.books()
    await listed(settlement, books)
    books.reserve_buy("b1")
    books.reserve_sell("s1")
    stray = books.trade(instrument="NOT-LISTED", trade_id="NOT-LISTED:T1")
    await settlement.producer.send_and_wait(ORDERS_EVENTS.name, b"{not json", key=books.instrument.id.encode())
    await settlement.publish(stray, key=books.instrument.id)
    good = books.trade()
    await settlement.publish(good)

    await settled(settlement, good.trade_id)
    letters = await settlement.wait_for(lambda: [m for m in settlement.messages(DEADLETTER.name, DeadLettered)
                                                 if "NOT-LISTED" in m.raw or "not JSON" in m.reason])
    assert any("unknown instrument" in m.reason for m in letters)
    assert not settlement.redis.exists(trade_key(stray.trade_id))


async def test_every_ledger_entry_is_mirrored_to_registry_transfers(settlement) -> None:
    books = settlement.books()
    await listed(settlement, books)
    books.reserve_buy("b1")
    books.reserve_sell("s1")
    trade = books.trade()
    await settlement.publish(trade)
    await settled(settlement, trade.trade_id)

    def mirrored():
        return [s.envelope for s in settlement.seen if s.topic == REGISTRY_TRANSFERS.name
                and s.envelope.payload["entry_id"] == f"settle:{trade.trade_id}"]

    envelope = (await settlement.wait_for(mirrored))[0]
    assert envelope.type == "LedgerEntryRecorded" and envelope.payload["registry"] == "CN-BJ"
    assert {p[0] for p in envelope.payload["postings"]} >= {books.buyer, books.seller, "CN-BJ/FEES"}


async def test_the_audit_passes_with_trades_settled_failed_and_pending(settlement) -> None:
    from carbonlink.audit.trades import run_audit

    books = settlement.books()
    await listed(settlement, books)
    books.reserve_buy("b1")
    books.reserve_sell("s1")
    trade = books.trade()
    await settlement.publish(trade)
    await settled(settlement, trade.trade_id)
    await _cross_registry_trade(settlement, settlement.books())

    report = run_audit(settlement.redis, pending_timeout_s=60)

    assert report.ok, [c.to_dict() for c in report.checks if not c.ok]
    assert {c.name for c in report.checks} >= {"trade_status", "settled_once", "units", "cash", "reservations"}
