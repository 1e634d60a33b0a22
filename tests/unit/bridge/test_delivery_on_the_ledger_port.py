"""The bridge's decision on a held cross-registry trade on the in-memory fakes of its ports (ledger, usage; no
servers): the rule engine approves on the usage read, the delivery entry moves units across the border and pays
the seller, and a refusal of the ledger comes back with the rule engine's code."""

from __future__ import annotations

import pytest

from services.bridge import rules
from services.bridge.decisions import ledger_refusal, unit_class_of
from services.bridge.delivery_entry import delivery_entry
from services.bridge.usage import DeliveryState
from services.settlement import translate
from shared import redis_keys
from shared.ledger import entries
from shared.messages.post_trade import DeliveryRequested
from tests.contracts.ledger import BJ_UNIT, CNY, FEES, SELLER, SEOUL, place_orders, trade
from tests.fakes.bridge_usage import InMemoryUsageReader
from tests.fakes.ledger import InMemoryLedger
from tests.unit.bridge.builders import TUESDAY_4_MARCH_2025, agreement
from tests.unit.ledger_books import INSTRUMENT, books
from tests.unit.ledger_books import trade as matched_trade

QTY = 100


@pytest.fixture
async def ledger() -> InMemoryLedger:
    """Beijing's seller and Seoul's buyer with one trade of QTY held for the bridge, as settlement holds it."""
    ledger = await books()
    await place_orders(ledger, buyer=SEOUL, qty=QTY)
    held = trade(trade_id="BJEA:T1", buyer_account=SEOUL, qty=QTY, buy_leaves=0, sell_leaves=0)
    assert (await ledger.hold_for_bridge(trade=held, fees=FEES, time=3)).ok
    return ledger


async def decide(ledger: InMemoryLedger) -> tuple[DeliveryRequested, rules.Approved, DeliveryState]:
    """The request settlement sends for the held trade, and the rule engine's approval of it on the usage read."""
    matched = matched_trade(buyer=SEOUL, quantity=QTY, leaves=0)
    (buy_hold,) = await ledger.read_records([redis_keys.hold_key(matched.trade_id, entries.BUY)])
    request = translate.delivery_request(matched, INSTRUMENT, buy_hold, matched_at=TUESDAY_4_MARCH_2025)
    transfer = rules.TransferRequest(
        trade_id=request.trade_id, seller_account=request.sell_account, buyer_account=request.buy_account,
        unit_class=unit_class_of(request.unit_asset), quantity=request.quantity, matched_at=request.matched_at,
        time=TUESDAY_4_MARCH_2025)
    state = await InMemoryUsageReader(ledger).read_state(request=transfer, agreement=agreement(),
                                                         period=rules.calendar_year(TUESDAY_4_MARCH_2025))
    approved = rules.evaluate(transfer, agreement(), state.usage)
    assert isinstance(approved, rules.Approved)
    return request, approved, state


async def test_an_approved_delivery_moves_the_units_across_and_pays_the_seller(ledger: InMemoryLedger) -> None:
    request, approved, state = await decide(ledger)
    entry = delivery_entry(approved, request=request, state=state, fees_registry="CN-BJ", time=TUESDAY_4_MARCH_2025)

    assert (await ledger.post(entry)).ok
    assert (await ledger.balances(SEOUL))[approved.delivered_class.asset_code] == (QTY, 0)
    assert (await ledger.balances(SELLER))[CNY] == (request.seller_cash, 0)
    assert (await ledger.balances(SELLER))[BJ_UNIT][1] == 0
    assert await ledger.read_records([redis_keys.hold_key(request.trade_id, entries.BUY)]) == [{}]


async def test_a_delivery_over_the_buyers_holding_limit_is_refused_with_the_engines_code(
        ledger: InMemoryLedger) -> None:
    request, approved, state = await decide(ledger)
    await ledger.set_holding_limit(SEOUL, approved.delivered_class.asset_code, QTY - 1)
    result = await ledger.post(delivery_entry(approved, request=request, state=state, fees_registry="CN-BJ",
                                              time=TUESDAY_4_MARCH_2025))

    assert not result.ok
    assert ledger_refusal(result)[:2] == (int(rules.ReasonCode.HOLDING_LIMIT_EXCEEDED), "HOLDING_LIMIT_EXCEEDED")
