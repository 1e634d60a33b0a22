"""The registry ledger: double-entry unit and cash balances in Redis, every movement one atomic Lua call."""

from shared.ledger.entries import Plan, TradeSides
from shared.ledger.model import (
    AccountType,
    AdjustRecord,
    Code,
    CounterChange,
    CreateRecord,
    DrainRecord,
    Entry,
    EntryKind,
    LimitCheck,
    Posting,
    PostResult,
    SetRecord,
    currency_asset,
    registry_of,
    system_account,
    unit_asset,
)
from shared.ledger.port import LedgerPort
from shared.ledger.redis_ledger import AsyncLedger, Ledger

__all__ = [
    "AccountType",
    "AdjustRecord",
    "AsyncLedger",
    "Code",
    "CounterChange",
    "CreateRecord",
    "DrainRecord",
    "Entry",
    "EntryKind",
    "Ledger",
    "LedgerPort",
    "LimitCheck",
    "Plan",
    "PostResult",
    "Posting",
    "SetRecord",
    "TradeSides",
    "currency_asset",
    "registry_of",
    "system_account",
    "unit_asset",
]
