"""The ledger's vocabulary: account types, entry kinds, postings, record and counter operations, results, codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class AccountType(StrEnum):
    HOLDING = "HOLDING"
    COMPLIANCE = "COMPLIANCE"
    ISSUANCE = "ISSUANCE"
    RETIREMENT = "RETIREMENT"
    CANCELLATION = "CANCELLATION"
    LEVY = "LEVY"
    BRIDGE = "BRIDGE"
    FEES = "FEES"
    CLEARING = "CLEARING"
    CASH_GATEWAY = "CASH_GATEWAY"


#: The system accounts every registry has, by the name after ``{registry}/``.
SYSTEM_ACCOUNT_NAMES: Mapping[AccountType, str] = MappingProxyType(
    {
        AccountType.ISSUANCE: "ISSUANCE",
        AccountType.RETIREMENT: "RETIREMENT",
        AccountType.CANCELLATION: "CANCELLATION",
        AccountType.LEVY: "LEVY",
        AccountType.BRIDGE: "BRIDGE",
        AccountType.FEES: "FEES",
        AccountType.CLEARING: "CLEARING",
        AccountType.CASH_GATEWAY: "CASH-GATEWAY",
    }
)

#: Only these account types may go negative: they are where units and cash enter or cross a border.
NEGATIVE_TYPES = frozenset({AccountType.ISSUANCE, AccountType.CASH_GATEWAY, AccountType.BRIDGE})


class EntryKind(StrEnum):
    ISSUE = "ISSUE"
    ALLOCATE = "ALLOCATE"
    TRANSFER = "TRANSFER"
    RESERVE = "RESERVE"
    RELEASE = "RELEASE"
    HOLD = "HOLD"
    SETTLE = "SETTLE"
    SURRENDER = "SURRENDER"
    RETIRE = "RETIRE"
    CANCEL = "CANCEL"
    DEPOSIT = "DEPOSIT"
    WITHDRAW = "WITHDRAW"
    FEE = "FEE"
    BRIDGE_DELIVERY = "BRIDGE_DELIVERY"


class Code(StrEnum):
    """Stable refusal codes of ledger entries."""

    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    UNKNOWN_ASSET = "UNKNOWN_ASSET"
    INSUFFICIENT_AVAILABLE = "INSUFFICIENT_AVAILABLE"
    INSUFFICIENT_RESERVED = "INSUFFICIENT_RESERVED"
    UNBALANCED_ENTRY = "UNBALANCED_ENTRY"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_BUCKET = "INVALID_BUCKET"
    INVALID_ENTRY = "INVALID_ENTRY"
    CAP_EXCEEDED = "CAP_EXCEEDED"
    HOLDING_LIMIT_EXCEEDED = "HOLDING_LIMIT_EXCEEDED"
    RESERVATION_MISMATCH = "RESERVATION_MISMATCH"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    OFFSET_LIMIT_EXCEEDED = "OFFSET_LIMIT_EXCEEDED"
    FOREIGN_LIMIT_EXCEEDED = "FOREIGN_LIMIT_EXCEEDED"
    OBLIGATION_EXCEEDED = "OBLIGATION_EXCEEDED"


def registry_of(account_id: str) -> str:
    """The registry an account belongs to: the part of its id before the first ``/``."""
    registry, slash, _ = account_id.partition("/")
    if not slash or not registry:
        raise ValueError(f"account id {account_id!r} is not {{registry}}/{{name}}")
    return registry


def system_account(registry_id: str, account_type: AccountType) -> str:
    return f"{registry_id}/{SYSTEM_ACCOUNT_NAMES[account_type]}"


def currency_asset(currency: str) -> str:
    return f"C:{currency}"


def unit_asset(origin: str, unit_type: str, vintage: int) -> str:
    return f"U:{origin}:{unit_type}:{vintage}"


def is_currency(asset: str) -> bool:
    return asset.startswith("C:")


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: ``delta`` added to an account's ``available`` ("a") or ``reserved`` ("r") bucket."""

    account: str
    asset: str
    bucket: str
    delta: int


@dataclass(frozen=True, slots=True)
class CreateRecord:
    """Create a reservation or hold record (it must not exist); ``fields`` has account, asset, remaining."""

    key: str
    fields: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AdjustRecord:
    """Add ``delta`` to a record's field; the record must exist, match ``expect``, and stay ≥ 0."""

    key: str
    field: str
    delta: int
    expect: Mapping[str, str] = field(default_factory=dict)
    delete_at_zero: bool = False


@dataclass(frozen=True, slots=True)
class DrainRecord:
    """Release what remains of a record (reserved → available on its account) and delete it."""

    key: str
    account: str | None
    missing_ok: bool = False


@dataclass(frozen=True, slots=True)
class SetRecord:
    """Overwrite descriptive fields of an existing record matching ``expect`` (never account, asset, remaining)."""

    key: str
    fields: Mapping[str, str]
    expect: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CounterChange:
    """Add ``delta`` to a counter; refuse with ``code`` (default CAP_EXCEEDED) if it would pass ``cap``.

    ``cap_with`` names other fields of the same hash that count against the cap with this one (the quota a
    delivery uses is capped together with what resting orders have reserved).
    """

    key: str
    field: str
    delta: int
    cap: int | None = None
    code: str | None = None
    cap_with: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LimitCheck:
    """After the entry, the account's available + reserved of ``asset`` must be at most ``limit``."""

    account: str
    asset: str
    limit: int


RecordOp = CreateRecord | AdjustRecord | DrainRecord | SetRecord


@dataclass(frozen=True, slots=True)
class Entry:
    """One atomic, idempotent ledger movement, identified by the caller's ``entry_id``.

    ``amounts`` are the business amounts the postings derive from (a quantity, a price, a deposit); each must
    be a positive integer, so a negative request is refused as INVALID_AMOUNT rather than run backwards.
    """

    entry_id: str
    kind: EntryKind
    time: int
    postings: tuple[Posting, ...] = ()
    records: tuple[RecordOp, ...] = ()
    counters: tuple[CounterChange, ...] = ()
    limits: tuple[LimitCheck, ...] = ()
    amounts: tuple[int, ...] = ()
    declare_assets: tuple[str, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PostResult:
    """What an entry did: ``ok`` with the journal record per registry, or a refusal ``code`` with details.

    ``duplicate`` is true when the entry id had been posted before and this is its first result again.
    """

    ok: bool
    entry_id: str
    kind: str
    code: str | None = None
    message: str = ""
    details: Mapping[str, object] = field(default_factory=dict)
    journal_ids: Mapping[str, str] = field(default_factory=dict)
    duplicate: bool = False
