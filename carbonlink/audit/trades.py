"""Audit checks of trade settlement, and ``run_audit``: the ledger audit plus these (plus the bridge's, later).

- ``trade_status``: every trade is SETTLED, FAILED with a reason code and reason, or PENDING_BRIDGE for less
  than the pending timeout; the pending index agrees with the trade states. A pending trade the bridge has
  parked until its link's settlement window (``bridge:pending``, by retry time) is waiting, not late, until
  the pending timeout after that window opens.
- ``settled_once``: from the journals, no trade is settled by two entries and no entry is journalled twice in
  a registry; a SETTLED trade has its settling entry, a FAILED one has none. A settling entry whose trade
  state is not yet written (the service is between the two steps, or was killed there) counts as pending.

Trade states are read after the ledger snapshot and the journals after the trade states, so with the stack
running every state the audit reads has its entry in the journals it reads.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

import redis

from carbonlink.audit.ledger import AuditCheck, AuditReport, CheckResult, audit_ledger
from services.bridge.bridge_keys import PENDING as BRIDGE_DEFERRED
from services.settlement.trade_state import FAILED, PENDING_BRIDGE, PENDING_TRADES, SETTLED, STATUSES, TRADE_PATTERN
from shared.ledger.model import EntryKind
from shared.ledger.snapshot import LedgerSnapshot, journal_until
from shared.ledger.views import text, text_map
from shared.settings import load_settings

SETTLING_KINDS = frozenset({EntryKind.SETTLE.value, EntryKind.BRIDGE_DELIVERY.value})
PAGE = 1000


def _redis_now_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return int(seconds) * 1000 + int(micros) // 1000


def read_trades(client: redis.Redis) -> dict[str, dict[str, str]]:
    """Every ``trade:{id}`` hash, by trade id."""
    keys = [text(k) for k in client.scan_iter(match=TRADE_PATTERN, count=PAGE)]
    trades: dict[str, dict[str, str]] = {}
    for start in range(0, len(keys), PAGE):
        chunk = keys[start : start + PAGE]
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.hgetall(key)
        for key, raw in zip(chunk, pipe.execute()):
            if raw:
                trades[key.removeprefix("trade:")] = text_map(raw)
    return trades


def check_trade_status(*, pending_timeout_s: float) -> AuditCheck:
    def check(client: redis.Redis, _: LedgerSnapshot) -> CheckResult:
        trades = read_trades(client)
        now = _redis_now_ms(client)
        pending_index = {text(m) for m in client.zrange(PENDING_TRADES, 0, -1)}
        deferred = {text(m): int(at) for m, at in client.zrange(BRIDGE_DEFERRED, 0, -1, withscores=True)}
        timeout_ms = pending_timeout_s * 1000
        counts: Counter[str] = Counter()
        oldest_pending_ms = 0
        awaiting_window = 0
        problems: list[dict[str, object]] = []
        for trade_id, state in sorted(trades.items()):
            status = state.get("status", "")
            counts[status] += 1
            if status not in STATUSES:
                problems.append({"trade_id": trade_id, "problem": "unknown status", "status": status})
            elif status == FAILED and not (state.get("reason_code") and state.get("reason")):
                problems.append({"trade_id": trade_id, "problem": "failed without a reason code"})
            elif status == SETTLED and state.get("settled_count") != "1":
                problems.append({"trade_id": trade_id, "problem": "settled more than once",
                                 "settled_count": state.get("settled_count")})
            elif status == PENDING_BRIDGE and trade_id in deferred:
                retry_at = deferred[trade_id]
                if now - retry_at < timeout_ms:
                    awaiting_window += 1
                else:
                    problems.append({"trade_id": trade_id, "problem": "deferred past its settlement window",
                                     "retry_at": retry_at, "late_ms": now - retry_at})
            elif status == PENDING_BRIDGE:
                age = now - int(state.get("pending_since") or 0)
                oldest_pending_ms = max(oldest_pending_ms, age)
                if age >= timeout_ms:
                    problems.append({"trade_id": trade_id, "problem": "pending too long", "pending_ms": age})
            if (status == PENDING_BRIDGE) != (trade_id in pending_index):
                problems.append({"trade_id": trade_id, "problem": "pending index disagrees", "status": status})
        for trade_id in sorted(pending_index - trades.keys()):
            problems.append({"trade_id": trade_id, "problem": "pending index names an unknown trade"})
        summary = {"trades": len(trades), **{s.lower(): counts[s] for s in STATUSES},
                   "awaiting_settlement_window": awaiting_window, "oldest_pending_ms": oldest_pending_ms,
                   "pending_timeout_s": pending_timeout_s}
        return CheckResult("trade_status", not problems, summary, problems)

    return check


def check_settled_once(*, pending_timeout_s: float) -> AuditCheck:
    def check(client: redis.Redis, snap: LedgerSnapshot) -> CheckResult:
        trades = read_trades(client)
        bridge_entries = {s["bridge_entry_id"]: t for t, s in trades.items() if s.get("bridge_entry_id")}
        settling: dict[str, set[str]] = defaultdict(set)
        journalled: Counter[tuple[str, str]] = Counter()
        first_seen_ms: dict[str, int] = {}
        for registry in snap.registries:
            for record in journal_until(client, registry, "+"):
                trade_id = record.meta.get("trade_id") if record.kind in SETTLING_KINDS else None
                trade_id = trade_id or bridge_entries.get(record.entry_id)
                if not isinstance(trade_id, str):
                    continue
                settling[trade_id].add(record.entry_id)
                journalled[(registry, record.entry_id)] += 1
                stream_ms = int(record.stream_id.partition("-")[0])
                first_seen_ms[trade_id] = min(first_seen_ms.get(trade_id, stream_ms), stream_ms)
        now = _redis_now_ms(client)
        problems: list[dict[str, object]] = []
        for (registry, entry_id), n in sorted(journalled.items()):
            if n > 1:
                problems.append({"entry_id": entry_id, "registry": registry, "problem": "journalled twice", "times": n})
        unrecorded = 0
        for trade_id, entry_ids in sorted(settling.items()):
            status = trades.get(trade_id, {}).get("status")
            if len(entry_ids) > 1:
                problems.append({"trade_id": trade_id, "problem": "settled twice", "entry_ids": sorted(entry_ids)})
            if status == FAILED:
                problems.append({"trade_id": trade_id, "problem": "failed but settled in the ledger",
                                 "entry_ids": sorted(entry_ids)})
            elif status != SETTLED:
                unrecorded += 1
                if now - first_seen_ms[trade_id] >= pending_timeout_s * 1000:
                    problems.append({"trade_id": trade_id, "problem": "settled in the ledger but not recorded",
                                     "status": status})
        for trade_id, state in sorted(trades.items()):
            if state.get("status") == SETTLED and trade_id not in settling and (
                    state.get("route") == "DOMESTIC" or state.get("bridge_entry_id")):
                problems.append({"trade_id": trade_id, "problem": "recorded settled without a settling entry"})
        summary = {"settled_in_ledger": len(settling), "awaiting_record": unrecorded}
        return CheckResult("settled_once", not problems, summary, problems)

    return check


def trade_checks(*, pending_timeout_s: float) -> tuple[AuditCheck, ...]:
    return (check_trade_status(pending_timeout_s=pending_timeout_s),
            check_settled_once(pending_timeout_s=pending_timeout_s))


def run_audit(client: redis.Redis, *, pending_timeout_s: float | None = None,
              bridge_checks: Sequence[Callable[[redis.Redis, LedgerSnapshot], CheckResult]] = ()) -> AuditReport:
    """The whole audit: ledger checks, trade checks and ``bridge_checks`` — the hook for the bridge's
    reconciliation (bridge audit log against the registries) once it exists. The pending timeout defaults to
    ``settings.settlement_pending_timeout_s``."""
    if pending_timeout_s is None:
        pending_timeout_s = load_settings().settlement_pending_timeout_s
    return audit_ledger(client, extra_checks=(*trade_checks(pending_timeout_s=pending_timeout_s), *bridge_checks))
