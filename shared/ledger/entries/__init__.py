"""Builders of ledger entries for every movement: pure functions from business arguments to an Entry.

By concept: ``movements`` (issuance, transfers, cash, fees, retirement, cancellation, surrender),
``reservations`` (an order's reservation), ``trades`` (settling fills), and ``plan`` (what they share).

A builder that needs the current state of a record (settlement, release, rebase) returns a Plan: the record keys to
read first and a pure function from what was read to the Entry. The sync and asyncio ledgers run the same
plans, so the amounts are computed once, here, by the pure rules of ``shared.fees`` and ``shared.cash_legs``;
Lua only validates and applies.
"""

from shared.ledger.entries.movements import (
    allocate,
    cancel_units,
    charge_fee,
    deposit,
    issue,
    retire,
    surrender,
    transfer,
    withdraw,
)
from shared.ledger.entries.plan import BUY, SELL, Plan
from shared.ledger.entries.reservations import rebase_order, release_order, reserve_for_order
from shared.ledger.entries.trades import TradeSides, hold_for_bridge, release_holds, settle_domestic_trade

__all__ = [
    "BUY",
    "SELL",
    "Plan",
    "TradeSides",
    "allocate",
    "cancel_units",
    "charge_fee",
    "deposit",
    "hold_for_bridge",
    "issue",
    "rebase_order",
    "release_holds",
    "release_order",
    "reserve_for_order",
    "retire",
    "settle_domestic_trade",
    "surrender",
    "transfer",
    "withdraw",
]
