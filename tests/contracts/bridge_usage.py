"""The contract of the bridge's usage port (``services.bridge.usage.UsageReader``), one suite for every adapter:
subclass ``UsageReaderContract`` and give it an ``empty_ledger`` fixture (a ``LedgerPort``) and a ``usage``
fixture reading the same state (the in-memory fakes in unit tests, Redis in integration tests). The state is
written as the services write it: the ledger's set-up commands and entries."""

from __future__ import annotations

import pytest

from services.bridge import bridge_keys as keys
from services.bridge import rules
from services.bridge.usage import UsageReader
from shared.ledger import CounterChange, Entry, EntryKind, LedgerPort
from tests.contracts.ledger import BJ_UNIT, CASH, FEES, SELLER, SEOUL, open_books, place_orders, trade

PERIOD = 2025
LINK = "BJ-KR"
AGREEMENT = rules.LinkageAgreement(link_id=LINK, kind=rules.LinkKind.UNILATERAL, from_registry="CN-BJ",
                                   to_registry="KR", effective_from=0,
                                   eligibility=rules.Eligibility(unit_types=frozenset({rules.UnitType.ALLOWANCE})))
REQUEST = rules.TransferRequest(trade_id="BJA:T1", seller_account=SELLER, buyer_account=SEOUL,
                                unit_class=rules.UnitClass("CN-BJ", rules.UnitType.ALLOWANCE, 2025), quantity=100,
                                matched_at=1, time=1)


class UsageReaderContract:
    """What every usage adapter reads of the ledger's state."""

    @pytest.fixture
    async def ledger(self, empty_ledger: LedgerPort) -> LedgerPort:
        """The ledger contract's books; Seoul's trader holds cash in CNY to buy Beijing units."""
        await open_books(empty_ledger)
        assert (await empty_ledger.deposit(entry_id="seoul-cash", account=SEOUL, currency="CNY", amount=CASH,
                                           time=1)).ok
        return empty_ledger

    async def test_a_trade_nothing_was_held_for_reads_as_nothing_held_or_used(
            self, ledger: LedgerPort, usage: UsageReader) -> None:
        state = await usage.read_state(request=REQUEST, agreement=AGREEMENT, period=PERIOD)
        assert (state.buy_hold, state.sell_hold, state.adjusted_pool) == ({}, {}, 0)
        assert state.usage == rules.Usage(sender_held=0)

    async def test_the_holds_of_a_held_trade_are_read_with_what_the_seller_holds_for_it(
            self, ledger: LedgerPort, usage: UsageReader) -> None:
        await place_orders(ledger, buyer=SEOUL, qty=100)
        held = trade(buyer_account=SEOUL, qty=100, buy_leaves=0, sell_leaves=0)
        assert (await ledger.hold_for_bridge(trade=held, fees=FEES, time=3)).ok
        state = await usage.read_state(request=REQUEST, agreement=AGREEMENT, period=PERIOD)
        assert state.usage.sender_held == 100
        assert (state.buy_hold["account"], state.sell_hold["asset"]) == (SEOUL, BJ_UNIT)

    async def test_quota_use_obligation_and_holding_limit_are_read_for_the_period(
            self, ledger: LedgerPort, usage: UsageReader) -> None:
        quota = keys.quota_key(PERIOD)
        direction = ("CN-BJ", "KR")
        assert (await ledger.post(Entry(entry_id="used", kind=EntryKind.BRIDGE_DELIVERY, time=1, counters=(
            CounterChange(quota, keys.link_field(LINK, *direction), 700),
            CounterChange(quota, keys.account_field(LINK, *direction, SEOUL), 300),
            CounterChange(quota, keys.obligation_field(SEOUL), 40))))).ok
        await ledger.record_emissions(SEOUL, period=str(PERIOD), tonnes=5_000)
        await ledger.set_holding_limit(SEOUL, BJ_UNIT, 9_000)
        state = await usage.read_state(request=REQUEST, agreement=AGREEMENT, period=PERIOD)
        used = state.usage
        assert (used.link_period_delivered, used.account_period_delivered, used.obligation_units_counted) == (
            700, 300, 40)
        assert (used.obligation, used.receiver_holding_limit) == (5_000, 9_000)
        assert (await usage.read_state(request=REQUEST, agreement=AGREEMENT, period=PERIOD + 1)).usage.obligation == 0
