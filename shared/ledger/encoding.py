"""The one argument encoding of ``post.lua``, shared by the sync and asyncio ledgers, and result decoding."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib.resources import files

import orjson

from shared import redis_keys
from shared.ledger.model import (
    AdjustRecord,
    CreateRecord,
    DrainRecord,
    Entry,
    PostResult,
    RecordOp,
    SetRecord,
    registry_of,
)

POST_LUA = files("shared.ledger").joinpath("post.lua").read_text(encoding="utf-8")


def _accounts_of(entry: Entry) -> set[str]:
    accounts = {p.account for p in entry.postings} | {c.account for c in entry.limits}
    for op in entry.records:
        if isinstance(op, DrainRecord) and op.account is not None:
            accounts.add(op.account)
        elif isinstance(op, CreateRecord) and "account" in op.fields:
            accounts.add(op.fields["account"])
        elif isinstance(op, (AdjustRecord, SetRecord)) and "account" in op.expect:
            accounts.add(op.expect["account"])
    return accounts


def _record_json(op: RecordOp) -> dict[str, object]:
    if isinstance(op, CreateRecord):
        return {"op": "create", "key": op.key, "fields": {k: str(v) for k, v in op.fields.items()}}
    if isinstance(op, AdjustRecord):
        return {
            "op": "adjust",
            "key": op.key,
            "field": op.field,
            "delta": str(op.delta),
            "expect": dict(op.expect),
            "delete_at_zero": op.delete_at_zero,
        }
    if isinstance(op, SetRecord):
        return {"op": "set", "key": op.key, "fields": {k: str(v) for k, v in op.fields.items()},
                "expect": dict(op.expect)}
    expect = {} if op.account is None else {"account": op.account}
    return {"op": "drain", "key": op.key, "expect": expect, "missing_ok": op.missing_ok}


@lru_cache(maxsize=65536)
def account_keys(account: str) -> Mapping[str, str]:
    """An account's keys and registry as ``post.lua`` reads them (the same few accounts recur in every batch;
    the mapping is only ever serialised, never changed)."""
    return {
        "bal": redis_keys.balance_key(account),
        "acct": redis_keys.account_key(account),
        "limit": redis_keys.holding_limits_key(account),
        "registry": registry_of(account),
    }


def encode(entry: Entry) -> tuple[list[str], bytes]:
    """The KEYS (every key touched, for Redis Cluster) and ARGV[1] (the entry as JSON) of one ``post.lua`` call.

    Amounts travel as decimal strings: Lua numbers are doubles, so the script parses and range-checks them.
    """
    accounts = {account: account_keys(account) for account in sorted(_accounts_of(entry))}
    journals = {reg: redis_keys.journal_key(reg) for reg in sorted({k["registry"] for k in accounts.values()})}
    counters = []
    for c in entry.counters:
        counter: dict[str, object] = {"key": c.key, "field": c.field, "delta": str(c.delta)}
        if c.cap is not None:
            counter["cap"] = str(c.cap)
        if c.code is not None:
            counter["code"] = c.code
        if c.cap_with:
            counter["cap_with"] = list(c.cap_with)
        counters.append(counter)
    request = {
        "entry_id": entry.entry_id,
        "entry_key": redis_keys.entry_key(entry.entry_id),
        "kind": str(entry.kind),
        "time": str(entry.time),
        "postings": [
            {"account": p.account, "asset": p.asset, "bucket": p.bucket, "delta": str(p.delta)} for p in entry.postings
        ],
        "records": [_record_json(op) for op in entry.records],
        "counters": counters,
        "limits": [{"account": c.account, "asset": c.asset, "limit": str(c.limit)} for c in entry.limits],
        "amounts": [str(a) for a in entry.amounts],
        "declare_assets": list(entry.declare_assets),
        "accounts": accounts,
        "journals": journals,
        "assets_key": redis_keys.ASSETS,
        "meta": orjson.dumps(entry.meta).decode(),
    }
    keys = {request["entry_key"], redis_keys.ASSETS, *journals.values()}
    for k in accounts.values():
        keys.update((k["bal"], k["acct"], k["limit"]))
    keys.update(op.key for op in entry.records)
    keys.update(c.key for c in entry.counters)
    return sorted(keys), orjson.dumps(request)


def decode(reply: list[bytes | str | int]) -> PostResult:
    """A ``post.lua`` reply → PostResult."""
    raw, duplicate = reply
    data = orjson.loads(raw)
    return PostResult(
        ok=bool(data["ok"]),
        entry_id=data["entry_id"],
        kind=data.get("kind", ""),
        code=data.get("code"),
        message=data.get("message", ""),
        details=data.get("details") or {},
        journal_ids=data.get("journal_ids") or {},
        duplicate=bool(int(duplicate)),
    )
