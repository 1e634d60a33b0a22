"""Reconciliation: the registries' journals, the bridge's audit log and its net-flow counters must agree.

Like the Kyoto registries against the transaction log: every movement of a ``{registry}/BRIDGE`` account in a
registry's journal must be a bridge delivery the audit log approved, with the quantities it recorded; the
net-flow counters must equal the audit log's totals per direction; each BRIDGE balance must equal what the
approvals imply. ``reconcile`` reports every discrepancy; ``reconciliation_check`` plugs it into
``carbonlink.audit.ledger.audit_ledger(..., extra_checks=...)``.

Run it on a quiet bridge: a delivery decided during the run may be in a journal before its audit record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import redis

from carbonlink.audit.ledger import CheckResult
from services.bridge import bridge_keys as keys
from services.bridge.delivery_entry import entry_id
from shared import redis_keys
from shared.ledger import AccountType, EntryKind, system_account
from shared.ledger.snapshot import LedgerSnapshot, journal_until
from shared.ledger.views import balances, text, text_map
from shared.read_models.linkage import flows_from_counters

PAGE = 5_000


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    ok: bool
    approvals: int
    bridge_entries: int
    flows: dict[str, dict[str, int]] = field(default_factory=dict)
    discrepancies: tuple[dict[str, object], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "approvals": self.approvals, "bridge_entries": self.bridge_entries,
                "flows": self.flows, "discrepancies": list(self.discrepancies)}


def reconcile(client: redis.Redis) -> ReconciliationReport:
    """Compare journals, audit log, net-flow counters and BRIDGE balances; list every disagreement."""
    problems: list[dict[str, object]] = []
    expected: dict[tuple[str, str], int] = defaultdict(int)
    audit_flows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    approved: set[str] = set()
    for fields in _audit_records(client):
        if fields.get("outcome") != "APPROVED":
            continue
        entry = entry_id(fields["trade_id"])
        if entry in approved:  # audited again after a crash between writing the record and marking it
            continue
        approved.add(entry)
        origin, target = fields["from_registry"], fields["to_registry"]
        expected[(origin, fields["sent_asset"])] += int(fields["consumed"])
        expected[(target, fields["delivered_asset"])] -= int(fields["gross"])
        flow = audit_flows[(origin, target)]
        flow["transfers"] += 1
        for name in keys.NETFLOW_FIELDS[1:]:
            flow[name] += int(fields[name])

    journaled: dict[tuple[str, str], int] = defaultdict(int)
    entries: set[str] = set()
    registries = sorted(text(r) for r in client.smembers(redis_keys.REGISTRIES))
    for registry in registries:
        bridge = system_account(registry, AccountType.BRIDGE)
        for record in journal_until(client, registry, "+"):
            moves = [p for p in record.postings if p.account == bridge]
            if not moves:
                continue
            if record.kind != EntryKind.BRIDGE_DELIVERY:
                problems.append({"problem": "BRIDGE account moved outside a bridge delivery", "registry": registry,
                                 "entry_id": record.entry_id, "kind": record.kind})
            entries.add(record.entry_id)
            for p in moves:
                journaled[(registry, p.asset)] += p.delta

    for entry in sorted(entries - approved):
        problems.append({"problem": "in a journal but not approved in the audit log", "entry_id": entry})
    for entry in sorted(approved - entries):
        problems.append({"problem": "approved in the audit log but in no journal", "entry_id": entry})
    for registry, asset in sorted(set(expected) | set(journaled)):
        if expected[(registry, asset)] != journaled[(registry, asset)]:
            problems.append({"problem": "BRIDGE movements differ from the approvals", "registry": registry,
                             "asset": asset, "journal": journaled[(registry, asset)],
                             "audit": expected[(registry, asset)]})
    for registry in registries:
        held = balances(client.hgetall(redis_keys.balance_key(system_account(registry, AccountType.BRIDGE))))
        for asset in sorted(set(held) | {a for r, a in expected if r == registry}):
            balance = sum(held.get(asset, (0, 0)))
            if balance != expected.get((registry, asset), 0):
                problems.append({"problem": "BRIDGE balance differs from the approvals", "registry": registry,
                                 "asset": asset, "balance": balance, "audit": expected.get((registry, asset), 0)})

    counted = flows_from_counters(text_map(client.hgetall(keys.NETFLOW)))
    summary: dict[str, dict[str, int]] = {}
    for direction in sorted(set(counted) | set(audit_flows)):
        flow = counted.get(direction)
        counters = {name: getattr(flow, name) if flow else 0 for name in keys.NETFLOW_FIELDS}
        logged = {name: audit_flows[direction][name] for name in keys.NETFLOW_FIELDS}
        summary[f"{direction[0]}>{direction[1]}"] = counters
        if counters != logged:
            problems.append({"problem": "net-flow counters differ from the audit log",
                             "direction": f"{direction[0]}>{direction[1]}", "counters": counters, "audit": logged})
    return ReconciliationReport(ok=not problems, approvals=len(approved), bridge_entries=len(entries), flows=summary,
                                discrepancies=tuple(problems))


def reconciliation_check(client: redis.Redis, _: LedgerSnapshot) -> CheckResult:
    """``reconcile`` as a ledger-audit check (``audit_ledger(client, extra_checks=[reconciliation_check])``)."""
    report = reconcile(client)
    return CheckResult(name="bridge_reconciliation", ok=report.ok,
                       summary={"approvals": report.approvals, "bridge_entries": report.bridge_entries,
                                "flows": report.flows},
                       problems=list(report.discrepancies))


def _audit_records(client: redis.Redis) -> Iterator[dict[str, str]]:
    start = "-"
    while True:
        page = client.xrange(keys.AUDIT_STREAM, min=start, count=PAGE)
        for _, fields in page:
            yield text_map(fields)
        if len(page) < PAGE:
            return
        start = "(" + text(page[-1][0])
