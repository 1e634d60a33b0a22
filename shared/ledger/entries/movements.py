"""Builders of the plain movements: issuance and allocation, transfers, cash in and out, fees, retirement,
cancellation, and surrender against verified emissions (within the registry's limits)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from shared import redis_keys
from shared.ledger.compliance import SurrenderLimits, surrender_caps
from shared.ledger.entries.plan import Plan, move
from shared.ledger.model import (
    AccountType,
    CounterChange,
    Entry,
    EntryKind,
    currency_asset,
    registry_of,
    system_account,
)


def issue(*, entry_id: str, registry: str, unit_class: str, qty: int, to_account: str, time: int) -> Entry:
    """Create ``qty`` units of a class in the registry's ISSUANCE account (it goes negative) for ``to_account``."""
    _require_registry(registry, to_account)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.ISSUE,
        time=time,
        amounts=(qty,),
        postings=move(
            source=system_account(registry, AccountType.ISSUANCE), target=to_account, asset=unit_class, qty=qty
        ),
        declare_assets=(unit_class,),
    )


def allocate(*, entry_id: str, registry: str, unit_class: str, qty: int, to_account: str, time: int) -> Entry:
    """Issue units as an entity's allocation and count them in ``allocation:{account}`` (for holding limits)."""
    base = issue(entry_id=entry_id, registry=registry, unit_class=unit_class, qty=qty, to_account=to_account, time=time)
    counter = CounterChange(redis_keys.counter_key(f"allocation:{to_account}"), unit_class, qty)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.ALLOCATE,
        time=time,
        postings=base.postings,
        counters=(counter,),
        amounts=base.amounts,
        declare_assets=base.declare_assets,
    )


def transfer(*, entry_id: str, from_account: str, to_account: str, asset: str, qty: int, time: int) -> Entry:
    """Move available units or cash between two accounts."""
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.TRANSFER,
        time=time,
        amounts=(qty,),
        postings=move(source=from_account, target=to_account, asset=asset, qty=qty),
    )


def deposit(*, entry_id: str, account: str, currency: str, amount: int, time: int) -> Entry:
    """Cash enters through the CASH-GATEWAY of the account's registry."""
    gateway = system_account(registry_of(account), AccountType.CASH_GATEWAY)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.DEPOSIT,
        time=time,
        amounts=(amount,),
        postings=move(source=gateway, target=account, asset=currency_asset(currency), qty=amount),
    )


def withdraw(*, entry_id: str, account: str, currency: str, amount: int, time: int) -> Entry:
    """Available cash leaves through the CASH-GATEWAY of the account's registry."""
    gateway = system_account(registry_of(account), AccountType.CASH_GATEWAY)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.WITHDRAW,
        time=time,
        amounts=(amount,),
        postings=move(source=account, target=gateway, asset=currency_asset(currency), qty=amount),
    )


def charge_fee(*, entry_id: str, account: str, currency: str, amount: int, time: int) -> Entry:
    """A fee outside trading (e.g. an account fee) from available cash to the registry's FEES account."""
    fees = system_account(registry_of(account), AccountType.FEES)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.FEE,
        time=time,
        amounts=(amount,),
        postings=move(source=account, target=fees, asset=currency_asset(currency), qty=amount),
    )


def retire(*, entry_id: str, account: str, unit_class: str, qty: int, time: int) -> Entry:
    """Voluntary retirement: units to the registry's RETIREMENT account, for good."""
    target = system_account(registry_of(account), AccountType.RETIREMENT)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.RETIRE,
        time=time,
        amounts=(qty,),
        postings=move(source=account, target=target, asset=unit_class, qty=qty),
    )


def cancel_units(*, entry_id: str, account: str, unit_class: str, qty: int, time: int) -> Entry:
    """Cancellation (e.g. a mandatory one after delinking): units to the registry's CANCELLATION account."""
    target = system_account(registry_of(account), AccountType.CANCELLATION)
    return Entry(
        entry_id=entry_id,
        kind=EntryKind.CANCEL,
        time=time,
        amounts=(qty,),
        postings=move(source=account, target=target, asset=unit_class, qty=qty),
    )


def surrender(*, entry_id: str, account: str, unit_class: str, qty: int, period: str, time: int) -> Plan:
    """Surrender units against the account's verified emissions of ``period``, within the registry's limits.

    Refused with OBLIGATION_EXCEEDED beyond the obligation, OFFSET_LIMIT_EXCEEDED / FOREIGN_LIMIT_EXCEEDED
    beyond the registry's shares; the usage counter ``surrender:{account}:{period}`` makes the check atomic.
    """
    registry = registry_of(account)

    def build(read: Sequence[Mapping[str, str]]) -> Entry:
        registry_record, emissions = read
        limits = SurrenderLimits(
            offset_share=_fraction(registry_record.get("offset_share")),
            foreign_share=_fraction(registry_record.get("foreign_share")),
        )
        caps = surrender_caps(
            registry_id=registry, unit_class=unit_class, obligation=int(emissions.get(period, 0)), limits=limits
        )
        usage = redis_keys.counter_key(f"surrender:{account}:{period}")
        return Entry(
            entry_id=entry_id,
            kind=EntryKind.SURRENDER,
            time=time,
            postings=move(
                source=account,
                target=system_account(registry, AccountType.RETIREMENT),
                asset=unit_class,
                qty=qty,
            ),
            counters=tuple(CounterChange(usage, cap.field, qty, cap.cap, cap.code) for cap in caps),
            amounts=(qty,),
            meta={"period": period},
        )

    return Plan((redis_keys.registry_key(registry), redis_keys.compliance_key(account)), build)


def _require_registry(registry: str, account: str) -> None:
    if registry_of(account) != registry:
        raise ValueError(f"{account} is not an account of {registry}")


def _fraction(text: str | None) -> Fraction | None:
    return None if text in (None, "") else Fraction(text)
