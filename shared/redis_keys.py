"""Redis key layout of the ledger.

Every ledger key carries the hash tag ``{L}``, so all of them live in one Redis Cluster slot and one Lua call
may touch accounts of several registries atomically. Build keys only through these functions.
"""

from __future__ import annotations

TAG = "{L}"

#: Sets indexing what exists: account ids, registry ids, and the asset codes the ledger knows.
ACCOUNTS = f"{TAG}:accounts"
REGISTRIES = f"{TAG}:registries"
ASSETS = f"{TAG}:assets"

RESERVATION_PATTERN = f"{TAG}:resv:*"
HOLD_PATTERN = f"{TAG}:hold:*"

AVAILABLE = "a"
RESERVED = "r"


def balance_key(account_id: str) -> str:
    """Hash of one account's balances: field ``{asset}|a`` available, ``{asset}|r`` reserved."""
    return f"{TAG}:bal:{account_id}"


def balance_field(asset: str, bucket: str) -> str:
    return f"{asset}|{bucket}"


def split_balance_field(field: str) -> tuple[str, str]:
    """``"C:CNY|a"`` → ``("C:CNY", "a")``."""
    asset, _, bucket = field.rpartition("|")
    return asset, bucket


def account_key(account_id: str) -> str:
    """Hash: type, holder, registry, may_go_negative."""
    return f"{TAG}:acct:{account_id}"


def registry_key(registry_id: str) -> str:
    """Hash: currency and the compliance limits of one registry."""
    return f"{TAG}:reg:{registry_id}"


def entry_key(entry_id: str) -> str:
    """String: the first result of the entry (idempotency record)."""
    return f"{TAG}:entry:{entry_id}"


def journal_key(registry_id: str) -> str:
    """Stream: one record per entry touching the registry."""
    return f"{TAG}:journal:{registry_id}"


def reservation_key(order_id: str) -> str:
    """Hash: account, asset, remaining (plus the order's terms) of one order's reservation."""
    return f"{TAG}:resv:{order_id}"


def hold_key(trade_id: str, side: str) -> str:
    """Hash: account, asset, remaining of one side of a cross-registry trade waiting for the bridge."""
    return f"{TAG}:hold:{trade_id}:{side}"


def counter_key(name: str) -> str:
    """Hash of counters (quotas, usage, allocations) under one name."""
    return f"{TAG}:counter:{name}"


def holding_limits_key(account_id: str) -> str:
    """Hash: asset → maximum available + reserved holding of the account."""
    return f"{TAG}:limit:{account_id}"


def compliance_key(account_id: str) -> str:
    """Hash: period → verified emissions (tonnes) of a covered entity's account."""
    return f"{TAG}:compliance:{account_id}"
