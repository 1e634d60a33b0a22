"""An in-memory fake of the ledger port (``shared.ledger.LedgerPort``), for unit tests.

It applies the very request ``post.lua`` receives (``shared.ledger.encoding.encode``), step by step as the
script does, over plain dicts standing for the Redis hashes, sets and journal streams the script touches; set-up
commands (``registry_admin``) are the two Redis commands they use, ``hset`` and ``sadd``. The contract suite
(``tests/contracts/ledger.py``) runs on this fake and on the Redis adapter, so the two cannot drift apart
unnoticed: this is the script, read aloud in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from shared import redis_keys
from shared.ledger import registry_admin, views
from shared.ledger.encoding import decode, encode
from shared.ledger.model import Entry, PostResult
from shared.ledger.port import LedgerPort
from shared.ledger.views import JournalRecord

MAX = 2**53 - 1
_INTEGER = re.compile(r"-?\d+")


class Refused(Exception):
    """The entry is refused: ``result`` is what the script stores and returns."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result["code"])
        self.result = result


def _int(text: object) -> int | None:
    if not isinstance(text, str) or len(text) > 17 or not _INTEGER.fullmatch(text):
        return None
    n = int(text)
    return n if -MAX <= n <= MAX else None


def _is_currency(asset: str | None) -> bool:
    return asset is not None and asset.startswith("C:")


class InMemoryLedger(LedgerPort):
    """The ledger's Redis keys as dicts: ``hashes``, ``sets``, ``strings`` (entry results) and ``streams``."""

    def __init__(self) -> None:
        self.hashes: dict[str, dict[str, str]] = {}
        self.sets: dict[str, set[str]] = {}
        self.strings: dict[str, str] = {}
        self.streams: dict[str, list[tuple[str, dict[str, str]]]] = {}
        self._stream_seq = 0

    # --- the port ------------------------------------------------------------------------------------------

    async def post_many(self, batch: Iterable[Entry]) -> list[PostResult]:
        return [self._post(entry) for entry in batch]

    async def read_records(self, keys: Sequence[str]) -> list[dict[str, str]]:
        return [dict(self.hashes.get(key, {})) for key in keys]

    async def apply_admin(self, commands: list[registry_admin.Command]) -> None:
        for name, args in commands:
            if name == "hset":
                key, field, value, *mapping = args
                target = self.hashes.setdefault(key, {})
                if field is not None:
                    target[str(field)] = str(value)
                for pairs in mapping:
                    target.update({str(k): str(v) for k, v in pairs.items()})
            elif name == "sadd":
                key, *members = args
                self.sets.setdefault(key, set()).update(str(m) for m in members)
            else:
                raise NotImplementedError(f"the fake ledger does not run {name!r}")

    async def balances(self, account_id: str) -> dict[str, tuple[int, int]]:
        return views.balances(self.hashes.get(redis_keys.balance_key(account_id), {}))

    async def journal(self, registry_id: str, *, start: str = "-", count: int | None = None) -> list[JournalRecord]:
        lowest = (0, 0) if start == "-" else _stream_position(start)
        records = [views.journal_record(stream_id, fields)
                   for stream_id, fields in self.streams.get(redis_keys.journal_key(registry_id), [])
                   if _stream_position(stream_id) >= lowest]
        return records if count is None else records[:count]

    # --- post.lua in Python ----------------------------------------------------------------------------------

    def _post(self, entry: Entry) -> PostResult:
        _, arg = encode(entry)
        req = orjson.loads(arg)
        stored = self.strings.get(req["entry_key"])
        if stored is not None:
            return decode([stored, 1])
        try:
            result = self._apply(req)
        except Refused as refusal:
            result = refusal.result
        raw = orjson.dumps(result).decode()
        self.strings[req["entry_key"]] = raw
        return decode([raw, 0])

    def _apply(self, req: dict[str, Any]) -> dict[str, Any]:
        def refuse(code: str, message: str, details: Mapping[str, object] | None = None) -> Refused:
            return Refused({"ok": False, "entry_id": req["entry_id"], "kind": req["kind"], "code": code,
                            "message": message, "details": dict(details or {})})

        # 1. business amounts, then amounts and buckets of the given postings
        for text in req["amounts"]:
            amount = _int(text)
            if amount is None or amount <= 0:
                raise refuse("INVALID_AMOUNT", "an amount must be a positive integer", {"amount": str(text)})
        postings: list[dict[str, Any]] = []
        for i, p in enumerate(req["postings"]):
            delta = _int(p["delta"])
            if delta is None or delta == 0:
                raise refuse("INVALID_AMOUNT", "a posting amount must be a non-zero integer",
                             {"posting": i, "account": p["account"], "asset": p["asset"], "delta": str(p["delta"])})
            if p["bucket"] not in ("a", "r"):
                raise refuse("INVALID_BUCKET", "a posting bucket is a (available) or r (reserved)", {"posting": i})
            postings.append({"account": p["account"], "asset": p["asset"], "bucket": p["bucket"], "delta": delta})

        # 2. reservation and hold records; a drain turns what remains into postings reserved -> available
        records: dict[str, dict[str, Any]] = {}
        releases: list[dict[str, str]] = []

        def release_counters(rec: dict[str, Any]) -> None:
            """A deleted record gives back what it held of its counters."""
            held = _int(rec["fields"].get("counter_held", "0")) or 0
            if held > 0 and rec["fields"].get("counter_key"):
                releases.extend({"key": rec["fields"]["counter_key"], "field": name, "delta": str(-held)}
                                for name in rec["fields"].get("counter_fields", "").split("\n") if name)

        def load(key: str) -> dict[str, Any]:
            if key not in records:
                fields = dict(self.hashes.get(key, {}))
                records[key] = {"fields": fields, "exists": bool(fields), "dirty": False, "deleted": False}
            return records[key]

        for op in req["records"]:
            rec = load(op["key"])
            if op["op"] == "create":
                if rec["exists"]:
                    raise refuse("RESERVATION_MISMATCH", "the record already exists", {"record": op["key"]})
                remaining = _int(op["fields"].get("remaining"))
                if remaining is None or remaining < 0:
                    raise refuse("INVALID_AMOUNT", "a record starts with a non-negative integer remaining",
                                 {"record": op["key"]})
                rec.update(fields=dict(op["fields"]), exists=True, dirty=True, deleted=False)
            elif not rec["exists"]:
                if not (op["op"] == "drain" and op.get("missing_ok")):
                    raise refuse("RESERVATION_MISMATCH", "no such reservation or hold", {"record": op["key"]})
            else:
                for name, want in (op.get("expect") or {}).items():
                    have = rec["fields"].get(name)
                    if have != want:
                        code = ("CURRENCY_MISMATCH" if name == "asset" and _is_currency(have) and _is_currency(want)
                                else "RESERVATION_MISMATCH")
                        raise refuse(code, "the record does not match the entry",
                                     {"record": op["key"], "field": name, "expected": want, "found": have or ""})
                if op["op"] == "adjust":
                    delta = _int(op["delta"])
                    if delta is None or delta == 0:
                        raise refuse("INVALID_AMOUNT", "a record adjustment must be a non-zero integer",
                                     {"record": op["key"]})
                    current = _int(rec["fields"].get(op["field"], "0")) or 0
                    after = current + delta
                    if after < 0:
                        raise refuse("INSUFFICIENT_RESERVED", "the record holds less than the entry takes",
                                     {"record": op["key"], "field": op["field"], "remaining": str(current),
                                      "delta": str(delta)})
                    rec["fields"][op["field"]] = str(after)
                    rec["dirty"] = True
                    if after == 0 and op.get("delete_at_zero"):
                        release_counters(rec)
                        rec.update(exists=False, deleted=True)
                elif op["op"] == "drain":
                    remaining = _int(rec["fields"].get("remaining", "0")) or 0
                    if remaining > 0:
                        account, asset = rec["fields"].get("account"), rec["fields"].get("asset")
                        postings.append({"account": account, "asset": asset, "bucket": "r", "delta": -remaining})
                        postings.append({"account": account, "asset": asset, "bucket": "a", "delta": remaining})
                    release_counters(rec)
                    rec.update(exists=False, deleted=True, dirty=True)
                elif op["op"] == "set":
                    for name, value in op["fields"].items():
                        if name in ("account", "asset", "remaining") or not isinstance(value, str):
                            raise refuse("INVALID_ENTRY", "a record set changes descriptive fields only",
                                         {"record": op["key"], "field": name})
                        rec["fields"][name] = value
                    rec["dirty"] = True
                else:
                    raise refuse("INVALID_ENTRY", "unknown record operation", {"record": op["key"], "op": str(op["op"])})

        # 3. accounts exist, assets are known, every asset balances (double entry)
        accounts: dict[str, dict[str, Any]] = {}
        sums: dict[str, int] = {}
        changes: dict[tuple[str, str, str], int] = {}
        for p in postings:
            if p["account"] not in accounts:
                keys = req["accounts"].get(p["account"])
                record = self.hashes.get(keys["acct"], {}) if keys else {}
                if "type" not in record:
                    raise refuse("UNKNOWN_ACCOUNT", "no such account", {"account": p["account"]})
                accounts[p["account"]] = {"keys": keys, "negative": record.get("may_go_negative") == "1"}
            if p["asset"] not in sums:
                if (p["asset"] not in req["declare_assets"]
                        and p["asset"] not in self.sets.get(req["assets_key"], set())):
                    raise refuse("UNKNOWN_ASSET", "no such unit class or currency", {"asset": p["asset"]})
                sums[p["asset"]] = 0
            sums[p["asset"]] += p["delta"]
            change = (p["account"], p["asset"], p["bucket"])
            changes[change] = changes.get(change, 0) + p["delta"]
        for asset, total in sums.items():
            if total != 0:
                raise refuse("UNBALANCED_ENTRY", "the deltas of an asset must sum to zero",
                             {"asset": asset, "sum": str(total)})

        # 4. no balance of an account that may not go negative ends below zero
        holdings: dict[tuple[str, str], int] = {}
        for (account, asset, bucket), delta in changes.items():
            info = accounts[account]
            current = int(self.hashes.get(info["keys"]["bal"], {}).get(f"{asset}|{bucket}", "0"))
            after = current + delta
            if not -MAX <= after <= MAX:
                raise refuse("INVALID_AMOUNT", "the balance would overflow", {"account": account, "asset": asset})
            if after < 0 and not info["negative"]:
                raise refuse("INSUFFICIENT_AVAILABLE" if bucket == "a" else "INSUFFICIENT_RESERVED",
                             "the balance is too small for the entry",
                             {"account": account, "asset": asset, "bucket": bucket, "balance": str(current),
                              "delta": str(delta)})
            holdings[(account, asset)] = holdings.get((account, asset), 0) + delta

        # 5. counters under their caps: first what deleted records release, then the entry's changes in order; a
        # cap counts the field and the ``cap_with`` fields of the same hash as they stand after the changes before it
        counters: dict[tuple[str, str], int] = {}

        def counter_value(key: str, name: str) -> int:
            return counters[(key, name)] if (key, name) in counters else int(self.hashes.get(key, {}).get(name, "0"))

        for op in releases:
            counters[(op["key"], op["field"])] = counter_value(op["key"], op["field"]) + int(op["delta"])
        for op in req["counters"]:
            delta = _int(op["delta"])
            if delta is None or delta == 0:
                raise refuse("INVALID_AMOUNT", "a counter change must be a non-zero integer",
                             {"counter": op["key"], "field": op["field"]})
            current = counter_value(op["key"], op["field"])
            cap = _int(op["cap"]) if "cap" in op else None
            if cap is not None:
                others = sum(counter_value(op["key"], name) for name in op.get("cap_with", ()))
                if current + delta + others > cap:
                    raise refuse(op.get("code") or "CAP_EXCEEDED", "the entry would exceed a cap",
                                 {"counter": op["key"], "field": op["field"], "cap": str(cap),
                                  "used": str(current + others), "requested": str(delta)})
            counters[(op["key"], op["field"])] = current + delta

        # 6. holding limits: configured per account, and explicit checks, after the entry
        def over_limit(account: str, asset: str, limit: int) -> None:
            balance = self.hashes.get(req["accounts"][account]["bal"], {})
            after = (int(balance.get(f"{asset}|a", "0")) + int(balance.get(f"{asset}|r", "0"))
                     + holdings.get((account, asset), 0))
            if after > limit:
                raise refuse("HOLDING_LIMIT_EXCEEDED", "the entry would take the holding over its limit",
                             {"account": account, "asset": asset, "limit": str(limit), "holding_after": str(after)})

        for (account, asset), delta in holdings.items():
            if delta > 0:
                limit = self.hashes.get(req["accounts"][account]["limit"], {}).get(asset)
                if limit is not None:
                    over_limit(account, asset, int(limit))
        for check in req["limits"]:
            if check["account"] not in req["accounts"]:
                raise refuse("UNKNOWN_ACCOUNT", "no such account", {"account": check["account"]})
            over_limit(check["account"], check["asset"], _int(check["limit"]) or 0)

        # 7. apply everything
        for (account, asset, bucket), delta in changes.items():
            if delta:
                balance = self.hashes.setdefault(accounts[account]["keys"]["bal"], {})
                balance[f"{asset}|{bucket}"] = str(int(balance.get(f"{asset}|{bucket}", "0")) + delta)
        for key, rec in records.items():
            if rec["deleted"]:
                self.hashes.pop(key, None)
            elif rec["dirty"]:
                self.hashes.setdefault(key, {}).update(rec["fields"])
        for op in [*req["counters"], *releases]:
            counter = self.hashes.setdefault(op["key"], {})
            counter[op["field"]] = str(int(counter.get(op["field"], "0")) + int(op["delta"]))
        self.sets.setdefault(req["assets_key"], set()).update(req["declare_assets"])

        by_registry: dict[str, list[list[str]]] = {}
        for p in postings:
            registry = req["accounts"][p["account"]]["registry"]
            by_registry.setdefault(registry, []).append([p["account"], p["asset"], p["bucket"], str(p["delta"])])
        journal_ids = {}
        for registry, key in req["journals"].items():
            self._stream_seq += 1
            stream_id = f"{self._stream_seq}-0"
            self.streams.setdefault(key, []).append(
                (stream_id, {"entry_id": req["entry_id"], "kind": req["kind"], "time": req["time"],
                             "postings": orjson.dumps(by_registry.get(registry, [])).decode(), "meta": req["meta"]}))
            journal_ids[registry] = stream_id
        return {"ok": True, "entry_id": req["entry_id"], "kind": req["kind"], "journal_ids": journal_ids}


def _stream_position(stream_id: str) -> tuple[int, int]:
    millis, _, seq = stream_id.partition("-")
    return int(millis), int(seq or 0)
