"""A consistent snapshot of the ledger (accounts, balances, records, journal ends, the quota counters records hold
part of) for audits and reports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.resources import files

import orjson
import redis

from shared import redis_keys
from shared.ledger import views
from shared.ledger.views import JournalRecord

SNAPSHOT_LUA = files("shared.ledger").joinpath("snapshot.lua").read_text(encoding="utf-8")
JOURNAL_PAGE = 5_000
#: The counter hashes reservation records hold part of (the bridge's quota per period, ``shared.read_models``).
QUOTA_PATTERN = redis_keys.counter_key("bridge:quota:*")


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    registry: str
    account_type: str
    may_go_negative: bool
    balances: Mapping[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """Everything the ledger held at one instant; journals are read up to ``journal_last`` (append-only)."""

    accounts: Mapping[str, Account]
    records: Mapping[str, Mapping[str, str]]
    registries: tuple[str, ...]
    journal_last: Mapping[str, str]
    counters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # the quota hashes, as records hold them


def _as_map(value: object) -> dict[str, str]:
    # cjson encodes an empty Lua table as {} or [] alike
    return dict(value) if isinstance(value, dict) else {}


def take_snapshot(client: redis.Redis) -> LedgerSnapshot:
    """Read the ledger in one Lua call, so balances, records and journal ends agree with each other."""
    raw = client.eval(
        SNAPSHOT_LUA,
        2,
        redis_keys.ACCOUNTS,
        redis_keys.REGISTRIES,
        redis_keys.account_key(""),
        redis_keys.balance_key(""),
        redis_keys.RESERVATION_PATTERN,
        redis_keys.HOLD_PATTERN,
        redis_keys.journal_key(""),
        QUOTA_PATTERN,
    )
    data = orjson.loads(raw)
    accounts = {}
    for account_id, found in _as_map(data["accounts"]).items():
        record = _as_map(found["record"])
        accounts[account_id] = Account(
            account_id=account_id,
            registry=record.get("registry", ""),
            account_type=record.get("type", ""),
            may_go_negative=record.get("may_go_negative") == "1",
            balances=views.balances(_as_map(found["balances"])),
        )
    return LedgerSnapshot(
        accounts=accounts,
        records={key: _as_map(fields) for key, fields in _as_map(data["records"]).items()},
        registries=tuple(sorted(data["registries"] or ())),
        journal_last=_as_map(data["journal_last"]),
        counters={key: _as_map(fields) for key, fields in _as_map(data.get("counters")).items()},
    )


def journal_until(client: redis.Redis, registry_id: str, last: str) -> Iterator[JournalRecord]:
    """A registry's journal from the start up to and including ``last``, page by page."""
    key = redis_keys.journal_key(registry_id)
    start = "-"
    while last != "0-0":
        page = client.xrange(key, min=start, max=last, count=JOURNAL_PAGE)
        for stream_id, fields in page:
            yield views.journal_record(stream_id, fields)
        if len(page) < JOURNAL_PAGE:
            return
        start = "(" + views.text(page[-1][0])
