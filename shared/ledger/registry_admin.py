"""Set-up of registries and accounts, and the operator's settings the ledger enforces, as plain Redis commands.

These are not movements (no balance changes), so they are not ledger entries: each function returns the
commands the sync and asyncio ledgers run in one MULTI/EXEC transaction.
"""

from __future__ import annotations

from fractions import Fraction

from shared import redis_keys
from shared.ledger.model import NEGATIVE_TYPES, SYSTEM_ACCOUNT_NAMES, AccountType, currency_asset, registry_of

Command = tuple[str, tuple[object, ...]]


def open_account(
    account_id: str, *, account_type: AccountType, holder: str, may_go_negative: bool | None = None
) -> list[Command]:
    """Open (or re-describe) an account; by default only ISSUANCE, CASH_GATEWAY and BRIDGE may go negative."""
    negative = account_type in NEGATIVE_TYPES if may_go_negative is None else may_go_negative
    record = {
        "type": str(account_type),
        "holder": holder,
        "registry": registry_of(account_id),
        "may_go_negative": "1" if negative else "0",
    }
    return [
        ("hset", (redis_keys.account_key(account_id), None, None, record)),
        ("sadd", (redis_keys.ACCOUNTS, account_id)),
    ]


def open_registry(
    registry_id: str,
    *,
    currency: str,
    offset_share: Fraction | None = None,
    foreign_share: Fraction | None = None,
) -> list[Command]:
    """The registry record (currency, compliance limits) and its system accounts."""
    record = {"currency": currency}
    if offset_share is not None:
        record["offset_share"] = str(offset_share)
    if foreign_share is not None:
        record["foreign_share"] = str(foreign_share)
    commands: list[Command] = [
        ("hset", (redis_keys.registry_key(registry_id), None, None, record)),
        ("sadd", (redis_keys.REGISTRIES, registry_id)),
        *declare_currency(currency),
    ]
    for account_type, name in SYSTEM_ACCOUNT_NAMES.items():
        commands += open_account(f"{registry_id}/{name}", account_type=account_type, holder=registry_id)
    return commands


def declare_currency(currency: str) -> list[Command]:
    """Let the ledger carry a currency beyond the registries' own (a scenario may declare more)."""
    return [("sadd", (redis_keys.ASSETS, currency_asset(currency)))]


def set_holding_limit(account_id: str, asset: str, limit: int) -> list[Command]:
    """From now on every credit of ``asset`` to the account must leave available + reserved ≤ ``limit``."""
    if type(limit) is not int or limit < 0:
        raise ValueError("a holding limit is a non-negative integer")
    return [("hset", (redis_keys.holding_limits_key(account_id), asset, str(limit)))]


def record_emissions(account_id: str, *, period: str, tonnes: int) -> list[Command]:
    """The verified emissions of a covered entity for a period: its surrender obligation."""
    if type(tonnes) is not int or tonnes < 0:
        raise ValueError("verified emissions are a non-negative integer of tonnes")
    return [("hset", (redis_keys.compliance_key(account_id), period, str(tonnes)))]
