"""The ledger on Redis: ``AsyncLedger`` (redis.asyncio, the ``LedgerPort`` adapter the services use) and
``Ledger`` (redis-py, for tools and tests), with one and the same API.

Both run the same ``post.lua`` with the same encoding and the same entry builders (``entries``) and set-up
commands (``registry_admin``); each method here only does the I/O around them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis
import redis.asyncio

from shared import redis_keys, redis_scripts
from shared.ledger import registry_admin, views
from shared.ledger.encoding import POST_LUA, decode, encode
from shared.ledger.entries import Plan
from shared.ledger.model import Entry, PostResult
from shared.ledger.port import ADMIN_OPERATIONS, ENTRY_OPERATIONS, AdminBuilder, Builder, LedgerPort, built, plan_reads
from shared.ledger.views import JournalRecord
from shared.redis_scripts import PipelinedScript


def _sync_entry_method(builder: Builder) -> Callable[..., PostResult]:
    @functools.wraps(builder)
    def method(self: Ledger, *args: Any, **kwargs: Any) -> PostResult:
        return self.run(builder(*args, **kwargs))

    return method


def _sync_admin_method(builder: AdminBuilder) -> Callable[..., None]:
    @functools.wraps(builder)
    def method(self: Ledger, *args: Any, **kwargs: Any) -> None:
        self._apply(builder(*args, **kwargs))

    return method


class Ledger:
    """The ledger through a synchronous ``redis.Redis`` client (bytes or decoded responses both work).

    Movement methods (``issue``, ``transfer``, ``settle_domestic_trade``, ...) take the keyword arguments of
    the builder of the same name in ``shared.ledger.entries`` and return a PostResult; set-up methods
    (``open_registry``, ``open_account``, ...) those of ``shared.ledger.registry_admin``.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._script = client.register_script(POST_LUA)

    def post(self, entry: Entry) -> PostResult:
        """Apply one entry atomically; a repeated entry id returns its first result without applying."""
        keys, arg = encode(entry)
        return decode(self._script(keys=keys, args=[arg]))

    def post_many(self, batch: Iterable[Entry]) -> list[PostResult]:
        """Post entries in one pipeline round trip; each is still its own atomic entry."""
        pipe = self._client.pipeline(transaction=False)
        for entry in batch:
            keys, arg = encode(entry)
            self._script(keys=keys, args=[arg], client=pipe)
        return [decode(reply) for reply in pipe.execute()]

    def run(self, work: Entry | Plan) -> PostResult:
        """Post an entry, or read what a plan needs, build its entry and post it."""
        if isinstance(work, Entry):
            return self.post(work)
        return self.post(work.build(self._read(work.reads)))

    def run_many(self, batch: Sequence[Entry | Plan]) -> list[PostResult]:
        """Run entries and plans in two round trips: every plan's reads first, then every entry.

        A plan therefore sees the records as they were before the batch: do not batch a plan with the entry
        that creates or rebases the record it reads (the other plans read only fields those two alone set).
        """
        keys = plan_reads(batch)
        return self.post_many(built(batch, dict(zip(keys, self._read(keys)))))

    def balances(self, account_id: str) -> dict[str, tuple[int, int]]:
        """{asset: (available, reserved)} of an account."""
        return views.balances(self._client.hgetall(redis_keys.balance_key(account_id)))

    def journal(self, registry_id: str, *, start: str = "-", count: int | None = None) -> list[JournalRecord]:
        raw = self._client.xrange(redis_keys.journal_key(registry_id), min=start, count=count)
        return [views.journal_record(stream_id, fields) for stream_id, fields in raw]

    def record(self, key: str) -> dict[str, str]:
        """A reservation, hold or counter hash (build the key with ``shared.redis_keys``)."""
        return views.text_map(self._client.hgetall(key))

    def _read(self, keys: Sequence[str]) -> list[dict[str, str]]:
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        return [views.text_map(raw) for raw in pipe.execute()]

    def _apply(self, commands: list[registry_admin.Command]) -> None:
        pipe = self._client.pipeline(transaction=True)
        for name, args in commands:
            getattr(pipe, name)(*args)
        pipe.execute()


class AsyncLedger(LedgerPort):
    """The ledger port on ``redis.asyncio.Redis``: every method of ``Ledger``, awaited."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._client = client
        self._script = client.register_script(POST_LUA)
        self._pipelined = PipelinedScript(POST_LUA)

    async def post(self, entry: Entry) -> PostResult:
        keys, arg = encode(entry)
        return decode(await self._script(keys=keys, args=[arg]))

    async def post_many(self, batch: Iterable[Entry]) -> list[PostResult]:
        encoded = [encode(entry) for entry in batch]
        if not encoded:
            return []

        def build(pipe) -> None:
            for keys, arg in encoded:
                self._pipelined.queue(pipe, keys, [arg])

        return [decode(reply) for reply in await redis_scripts.execute(self._client, build, self._pipelined)]

    async def read_records(self, keys: Sequence[str]) -> list[dict[str, str]]:
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        return [views.text_map(raw) for raw in await pipe.execute()]

    async def apply_admin(self, commands: list[registry_admin.Command]) -> None:
        pipe = self._client.pipeline(transaction=True)
        for name, args in commands:
            getattr(pipe, name)(*args)
        await pipe.execute()

    async def balances(self, account_id: str) -> dict[str, tuple[int, int]]:
        return views.balances(await self._client.hgetall(redis_keys.balance_key(account_id)))

    async def journal(self, registry_id: str, *, start: str = "-", count: int | None = None) -> list[JournalRecord]:
        raw = await self._client.xrange(redis_keys.journal_key(registry_id), min=start, count=count)
        return [views.journal_record(stream_id, fields) for stream_id, fields in raw]


for _name, _builder in ENTRY_OPERATIONS.items():
    setattr(Ledger, _name, _sync_entry_method(_builder))
for _name, _admin in ADMIN_OPERATIONS.items():
    setattr(Ledger, _name, _sync_admin_method(_admin))
