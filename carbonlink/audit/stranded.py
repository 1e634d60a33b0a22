"""Audit checks for state stranded between two services: what the ledger's balances cannot show.

- ``pending_new``: no order stays ``PENDING_NEW`` (accepted by order entry, not yet acknowledged by matching)
  longer than ``pending_new_timeout_s``.
- ``live_reservations``: every reservation record belongs to a live order (``PENDING_NEW``, ``NEW``,
  ``PARTIALLY_FILLED``). An order that has just ended keeps its record until settlement reads the end, so a
  suspect is read again after ``confirm_after_s`` and reported only if it is still there, unchanged.
- ``trades_recorded``: every trade matching executed (``{instrument}:T1`` up to the instrument's last trade)
  has a settlement state within ``settlement_window_s`` of its execution, and once an instrument has been
  quiet that long, every order's filled quantity equals the quantity of the trade states naming it.

They read only keys documented in ``shared.market_keys``, ``shared.redis_keys`` and the settlement's
``trade:{id}`` hashes, and write nothing.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import orjson
import redis

from carbonlink.audit.ledger import AuditCheck, CheckResult
from shared import market_keys as mk
from shared import redis_keys
from shared.ledger.snapshot import LedgerSnapshot
from shared.redis_text import text

PAGE = 1000
_ORDER_FIELDS = ("status", "created_at", "filled", "instrument")
_TRADE_FIELDS = ("status", "buy_order_id", "sell_order_id", "quantity")
_NOT_ORDERS = ("ord:idx:", "ord:seq:")


def _now_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return int(seconds) * 1000 + int(micros) // 1000


def _read_hashes(client: redis.Redis, keys: list[str], fields: tuple[str, ...]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for start in range(0, len(keys), PAGE):
        pipe = client.pipeline(transaction=False)
        for key in keys[start : start + PAGE]:
            pipe.hmget(key, *fields)
        out += [dict(zip(fields, map(text, values))) for values in pipe.execute()]
    return out


@dataclass
class _Exchange:
    """Orders and trade states read once per audit run and shared by its checks."""

    client: redis.Redis
    _orders: dict[str, dict[str, str]] | None = None
    _trades: dict[str, dict[str, str]] | None = None
    _now: int = field(default=0)

    @property
    def now_ms(self) -> int:
        if not self._now:
            self._now = _now_ms(self.client)
        return self._now

    @property
    def orders(self) -> dict[str, dict[str, str]]:
        if self._orders is None:
            keys = [k for k in map(text, self.client.scan_iter(match="ord:*", count=PAGE))
                    if not k.startswith(_NOT_ORDERS)]
            self._orders = {key.removeprefix("ord:"): order
                            for key, order in zip(keys, _read_hashes(self.client, keys, _ORDER_FIELDS))
                            if order["status"]}
        return self._orders

    @property
    def trades(self) -> dict[str, dict[str, str]]:
        if self._trades is None:
            keys = [text(k) for k in self.client.scan_iter(match="trade:*", count=PAGE)]
            self._trades = {key.removeprefix("trade:"): trade
                            for key, trade in zip(keys, _read_hashes(self.client, keys, _TRADE_FIELDS))}
        return self._trades


def check_pending_new(exchange: _Exchange, *, timeout_s: float) -> AuditCheck:
    def check(_: redis.Redis, __: LedgerSnapshot) -> CheckResult:
        now, problems, pending, oldest = exchange.now_ms, [], 0, 0
        for order_id, order in sorted(exchange.orders.items()):
            if order["status"] != mk.PENDING_NEW:
                continue
            pending += 1
            age = now - int(order["created_at"] or 0)
            oldest = max(oldest, age)
            if age >= timeout_s * 1000:
                problems.append({"order_id": order_id, "problem": "PENDING_NEW too long", "pending_ms": age})
        summary = {"orders": len(exchange.orders), "pending_new": pending, "oldest_pending_new_ms": oldest,
                   "pending_new_timeout_s": timeout_s}
        return CheckResult("pending_new", not problems, summary, problems)

    return check


def check_live_reservations(exchange: _Exchange, *, confirm_after_s: float) -> AuditCheck:
    def orphans(client: redis.Redis, records: dict[str, dict]) -> dict[str, tuple[str, str]]:
        """Reservation key → (order status, remaining) for records with something left and no live order."""
        keys = [k for k, r in records.items() if k.startswith(redis_keys.reservation_key("")) and r.get("remaining")
                not in (None, "0")]
        order_ids = [k.removeprefix(redis_keys.reservation_key("")) for k in keys]
        pipe = client.pipeline(transaction=False)
        for order_id in order_ids:
            pipe.hget(mk.order_state(order_id), "status")
        found = {}
        for key, status in zip(keys, map(text, pipe.execute())):
            if status not in mk.OPEN_STATUSES:
                found[key] = (status or "no such order", records[key]["remaining"])
        return found

    def check(client: redis.Redis, snap: LedgerSnapshot) -> CheckResult:
        suspects = orphans(client, {k: dict(v) for k, v in snap.records.items()})
        if suspects:
            time.sleep(confirm_after_s)
            pipe = client.pipeline(transaction=False)
            for key in suspects:
                pipe.hgetall(key)
            again = {key: {text(k): text(v) for k, v in raw.items()} for key, raw in zip(suspects, pipe.execute())}
            still = orphans(client, {k: r for k, r in again.items() if r})
            suspects = {k: v for k, v in still.items() if suspects.get(k, ("", ""))[1] == v[1]}
        problems = [{"reservation": key, "order_status": status, "remaining": remaining,
                     "problem": "reservation held for an order that is not live"}
                    for key, (status, remaining) in sorted(suspects.items())]
        summary = {"reservation_records": sum(1 for k in snap.records if k.startswith(redis_keys.reservation_key("")))}
        return CheckResult("live_reservations", not problems, summary, problems)

    return check


def _last_trade_seq(client: redis.Redis) -> dict[str, tuple[int, int]]:
    """Instrument → (its last trade's sequence number, business ms) from matching's mirror."""
    keys = [text(k) for k in client.scan_iter(match=mk.last_trade("*"), count=PAGE)]
    out = {}
    for key, last in zip(keys, _read_hashes(client, keys, ("trade_id", "at"))):
        instrument = key.removeprefix("md:").removesuffix(":last")
        seq = last["trade_id"].rpartition(":T")[2]
        if seq.isdigit():
            out[instrument] = (int(seq), int(last["at"] or 0))
    return out


def _recent_trade_times(client: redis.Redis, instrument: str) -> dict[str, int]:
    return {t["trade_id"]: int(t.get("at") or 0)
            for t in map(orjson.loads, client.lrange(mk.recent_trades(instrument), 0, -1))}


def check_trades_recorded(exchange: _Exchange, *, window_s: float) -> AuditCheck:
    def check(client: redis.Redis, _: LedgerSnapshot) -> CheckResult:
        now, window_ms = exchange.now_ms, window_s * 1000
        problems: list[dict[str, object]] = []
        matched = awaiting = 0
        quiet: set[str] = set()
        for instrument, (last_seq, last_at) in sorted(_last_trade_seq(client).items()):
            matched += last_seq
            if now - last_at >= window_ms:
                quiet.add(instrument)
            missing = [f"{instrument}:T{n}" for n in range(1, last_seq + 1)
                       if f"{instrument}:T{n}" not in exchange.trades]
            times = _recent_trade_times(client, instrument) if missing else {}
            for trade_id in missing:
                age = now - times[trade_id] if trade_id in times else None
                if age is not None and age < window_ms:
                    awaiting += 1
                else:
                    problems.append({"trade_id": trade_id, "problem": "matched but neither settled nor refused",
                                     "age_ms": age if age is not None else "older than the recent trades"})
        recorded: Counter[str] = Counter()
        for trade in exchange.trades.values():
            for side in ("buy_order_id", "sell_order_id"):
                recorded[trade[side]] += int(trade["quantity"] or 0)
        unaccounted: dict[str, list[dict[str, object]]] = defaultdict(list)
        for order_id, order in sorted(exchange.orders.items()):
            filled = int(order["filled"] or 0)
            if order["instrument"] in quiet and filled != recorded.get(order_id, 0):
                unaccounted[order["instrument"]].append(
                    {"order_id": order_id, "problem": "filled quantity differs from its trades' states",
                     "filled": filled, "in_trade_states": recorded.get(order_id, 0)})
        for found in unaccounted.values():
            problems += found
        summary = {"matched": matched, "trade_states": len(exchange.trades), "awaiting_settlement": awaiting,
                   "settlement_window_s": window_s}
        return CheckResult("trades_recorded", not problems, summary, problems)

    return check


def stranded_checks(*, pending_new_timeout_s: float, settlement_window_s: float, client: redis.Redis,
                    confirm_after_s: float = 2.0) -> tuple[AuditCheck, ...]:
    """The three checks over one shared read of ``client``'s orders and trade states (build them per run)."""
    exchange = _Exchange(client)
    return (check_pending_new(exchange, timeout_s=pending_new_timeout_s),
            check_live_reservations(exchange, confirm_after_s=confirm_after_s),
            check_trades_recorded(exchange, window_s=settlement_window_s))
