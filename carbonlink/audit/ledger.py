"""The ledger audit: proves from one consistent snapshot that the books balance.

Checks: units per registry and unit class, cash per currency, reservations against their records, reserved quota
counters against the records holding them, no forbidden negative balance, and the journals replaying to the balances. More checks (e.g. every trade
settled, failed with a reason, or pending briefly) plug in through ``audit_ledger(..., extra_checks=...)``:
each is a function ``(client, snapshot) -> CheckResult``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import redis

from shared.ledger.model import AccountType, is_currency
from shared.ledger.snapshot import LedgerSnapshot, journal_until, take_snapshot

MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One audit check: its name, whether it passed, a JSON-able summary, and the first problems found."""

    name: str
    ok: bool
    summary: dict[str, object] = field(default_factory=dict)
    problems: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "summary": self.summary, "problems": self.problems[:MAX_PROBLEMS]}


@dataclass(frozen=True, slots=True)
class AuditReport:
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "checks": [check.to_dict() for check in self.checks]}


AuditCheck = Callable[[redis.Redis, LedgerSnapshot], CheckResult]


def _result(name: str, summary: dict[str, object], problems: list[dict[str, object]]) -> CheckResult:
    return CheckResult(name=name, ok=not problems, summary=summary, problems=problems)


def check_units(_: redis.Redis, snap: LedgerSnapshot) -> CheckResult:
    """Per registry and unit class: holdings of non-system accounts = issued − retired − cancelled − levied
    − held by other system accounts + net inflow across the border (minus the BRIDGE account's balance)."""
    terms: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account in snap.accounts.values():
        for asset, (available, reserved) in account.balances.items():
            if is_currency(asset):
                continue
            total = available + reserved
            line = terms[(account.registry, asset)]
            match account.account_type:
                case AccountType.ISSUANCE:
                    line["issued"] -= total
                case AccountType.RETIREMENT:
                    line["retired"] += total
                case AccountType.CANCELLATION:
                    line["cancelled"] += total
                case AccountType.LEVY:
                    line["levied"] += total
                case AccountType.BRIDGE:
                    line["net_inflow"] -= total
                case AccountType.FEES | AccountType.CLEARING | AccountType.CASH_GATEWAY:
                    line["other_system"] += total
                case _:
                    line["holdings"] += total
    summary: dict[str, object] = {}
    problems = []
    for (registry, asset), t in sorted(terms.items()):
        expected = t["issued"] - t["retired"] - t["cancelled"] - t["levied"] - t["other_system"] + t["net_inflow"]
        summary[f"{registry} {asset}"] = dict(t)
        if t["holdings"] != expected:
            problems.append({"registry": registry, "asset": asset, "holdings": t["holdings"], "expected": expected})
    return _result("units", summary, problems)


def check_cash(_: redis.Redis, snap: LedgerSnapshot) -> CheckResult:
    """Per currency: cash in all accounts but the gateways (fees included) = deposits − withdrawals."""
    held: dict[str, int] = defaultdict(int)
    net_deposits: dict[str, int] = defaultdict(int)
    fees: dict[str, int] = defaultdict(int)
    for account in snap.accounts.values():
        for asset, (available, reserved) in account.balances.items():
            if not is_currency(asset):
                continue
            if account.account_type == AccountType.CASH_GATEWAY:
                net_deposits[asset] -= available + reserved
            else:
                held[asset] += available + reserved
            if account.account_type == AccountType.FEES:
                fees[asset] += available + reserved
    summary: dict[str, object] = {
        asset: {"held": held[asset], "deposits_less_withdrawals": net_deposits[asset], "fees": fees[asset]}
        for asset in sorted(set(held) | set(net_deposits))
    }
    problems = [
        {"asset": asset, "held": held[asset], "deposits_less_withdrawals": net_deposits[asset]}
        for asset in sorted(set(held) | set(net_deposits))
        if held[asset] != net_deposits[asset]
    ]
    return _result("cash", summary, problems)


def check_reservations(_: redis.Redis, snap: LedgerSnapshot) -> CheckResult:
    """Every account's reserved balance per asset = what its open reservation and hold records keep."""
    recorded: dict[tuple[str, str], int] = defaultdict(int)
    problems: list[dict[str, object]] = []
    for key, record in snap.records.items():
        try:
            remaining = int(record["remaining"])
            recorded[(record["account"], record["asset"])] += remaining
        except (KeyError, ValueError):
            problems.append({"record": key, "problem": "malformed record"})
            continue
        if remaining < 0:
            problems.append({"record": key, "problem": "negative remaining", "remaining": remaining})
    reserved = {
        (account.account_id, asset): r
        for account in snap.accounts.values()
        for asset, (_, r) in account.balances.items()
        if r
    }
    for account_asset in sorted(set(recorded) | set(reserved)):
        if recorded.get(account_asset, 0) != reserved.get(account_asset, 0):
            account_id, asset = account_asset
            problems.append(
                {
                    "account": account_id,
                    "asset": asset,
                    "reserved": reserved.get(account_asset, 0),
                    "in_records": recorded.get(account_asset, 0),
                }
            )
    summary = {"records": len(snap.records), "reserved_lines": len(reserved)}
    return _result("reservations", summary, problems)


def check_held_counters(_: redis.Redis, snap: LedgerSnapshot) -> CheckResult:
    """Every reserved quota counter (``RESERVED|…``) = what the live reservation and hold records hold of it
    (``counter_held``): no quota is reserved for an order or trade that no longer holds it."""
    held: dict[tuple[str, str], int] = defaultdict(int)
    problems: list[dict[str, object]] = []
    for key, record in snap.records.items():
        if not record.get("counter_key"):
            continue
        try:
            amount = int(record.get("counter_held", "0"))
        except ValueError:
            problems.append({"record": key, "problem": "malformed counter_held"})
            continue
        for name in filter(None, record.get("counter_fields", "").split("\n")):
            held[(record["counter_key"], name)] += amount
    counted = {(key, name): int(value) for key, fields in snap.counters.items()
               for name, value in fields.items() if name.startswith("RESERVED|")}
    for counter in sorted(set(held) | set(counted)):
        if held.get(counter, 0) != counted.get(counter, 0):
            problems.append({"counter": counter[0], "field": counter[1], "value": counted.get(counter, 0),
                             "held_by_records": held.get(counter, 0)})
    summary = {"reserved_counters": sum(1 for v in counted.values() if v), "held_units": sum(counted.values())}
    return _result("quota_reservations", summary, problems)


def check_non_negative(_: redis.Redis, snap: LedgerSnapshot) -> CheckResult:
    """No balance below zero on an account whose type may not go negative."""
    problems = [
        {"account": account.account_id, "asset": asset, "available": available, "reserved": reserved}
        for account in snap.accounts.values()
        if not account.may_go_negative
        for asset, (available, reserved) in account.balances.items()
        if available < 0 or reserved < 0
    ]
    return _result("non_negative", {"accounts": len(snap.accounts)}, problems)


def check_journal_replay(client: redis.Redis, snap: LedgerSnapshot) -> CheckResult:
    """Summing every posting of every registry's journal gives exactly the current balances."""
    replayed: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    records = 0
    for registry in snap.registries:
        for record in journal_until(client, registry, snap.journal_last.get(registry, "0-0")):
            records += 1
            for p in record.postings:
                replayed[(p.account, p.asset)][0 if p.bucket == "a" else 1] += p.delta
    actual = {
        (account.account_id, asset): list(pair)
        for account in snap.accounts.values()
        for asset, pair in account.balances.items()
    }
    problems = [
        {"account": key[0], "asset": key[1], "balance": actual.get(key, [0, 0]), "journal": replayed.get(key, [0, 0])}
        for key in sorted(set(replayed) | set(actual))
        if replayed.get(key, [0, 0]) != actual.get(key, [0, 0])
    ]
    return _result("journal_replay", {"journal_records": records}, problems)


LEDGER_CHECKS: tuple[AuditCheck, ...] = (
    check_units,
    check_cash,
    check_reservations,
    check_held_counters,
    check_non_negative,
    check_journal_replay,
)


def audit_ledger(client: redis.Redis, *, extra_checks: Sequence[AuditCheck] = ()) -> AuditReport:
    """Run the ledger checks (and any ``extra_checks``) against one consistent snapshot."""
    snapshot = take_snapshot(client)
    return AuditReport(tuple(check(client, snapshot) for check in (*LEDGER_CHECKS, *extra_checks)))
