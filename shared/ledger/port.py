"""The ledger port: what the services ask of a ledger, whatever keeps it (Redis, or memory in unit tests).

``LedgerPort`` is abstract: an adapter supplies the I/O — post a batch of entries, read records for plans, run
set-up commands, read balances, journals and records. The port turns calls into entries and set-up commands
with the builders of ``entries`` and ``registry_admin``, so every adapter takes the same calls
(``issue``, ``transfer``, ``settle_domestic_trade``, ``open_account``, ...: the keyword arguments of the builder
of the same name) and one contract suite (``tests/contracts/ledger.py``) holds them all to the same answers.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from shared.ledger import entries, registry_admin
from shared.ledger.entries import Plan
from shared.ledger.model import Entry, PostResult
from shared.ledger.views import JournalRecord

Builder = Callable[..., Entry | Plan]
AdminBuilder = Callable[..., list[registry_admin.Command]]

ENTRY_OPERATIONS: dict[str, Builder] = {
    "issue": entries.issue,
    "allocate": entries.allocate,
    "transfer": entries.transfer,
    "deposit": entries.deposit,
    "withdraw": entries.withdraw,
    "charge_fee": entries.charge_fee,
    "retire": entries.retire,
    "cancel_units": entries.cancel_units,
    "surrender": entries.surrender,
    "reserve_for_order": entries.reserve_for_order,
    "release_order": entries.release_order,
    "rebase_order": entries.rebase_order,
    "settle_domestic_trade": entries.settle_domestic_trade,
    "hold_for_bridge": entries.hold_for_bridge,
    "release_holds": entries.release_holds,
}

ADMIN_OPERATIONS: dict[str, AdminBuilder] = {
    "open_registry": registry_admin.open_registry,
    "open_account": registry_admin.open_account,
    "declare_currency": registry_admin.declare_currency,
    "set_holding_limit": registry_admin.set_holding_limit,
    "record_emissions": registry_admin.record_emissions,
}


def plan_reads(batch: Sequence[Entry | Plan]) -> list[str]:
    """The records the batch's plans read, each once (the fills of one order share its reservation)."""
    return list(dict.fromkeys(key for work in batch if isinstance(work, Plan) for key in work.reads))


def built(batch: Sequence[Entry | Plan], found: Mapping[str, Mapping[str, str]]) -> list[Entry]:
    """The batch's entries, each plan built from the records ``found`` (by key) before the batch."""
    return [work if isinstance(work, Entry) else work.build([found[key] for key in work.reads]) for work in batch]


class LedgerPort(abc.ABC):
    """The asynchronous ledger: movements as entries (atomic, idempotent per entry id) and set-up commands."""

    @abc.abstractmethod
    async def post_many(self, batch: Iterable[Entry]) -> list[PostResult]:
        """Apply each entry atomically (each on its own; a refusal leaves the others), in order."""

    @abc.abstractmethod
    async def read_records(self, keys: Sequence[str]) -> list[dict[str, str]]:
        """The records (hashes) at ``keys``, decoded to text, empty for a missing one."""

    @abc.abstractmethod
    async def apply_admin(self, commands: list[registry_admin.Command]) -> None:
        """Run set-up commands together (all or nothing)."""

    @abc.abstractmethod
    async def balances(self, account_id: str) -> dict[str, tuple[int, int]]:
        """{asset: (available, reserved)} of an account, leaving out assets at (0, 0)."""

    @abc.abstractmethod
    async def journal(self, registry_id: str, *, start: str = "-", count: int | None = None) -> list[JournalRecord]:
        """A registry's journal from ``start`` (a journal id, or "-" for the beginning), oldest first."""

    async def post(self, entry: Entry) -> PostResult:
        """Apply one entry atomically; a repeated entry id returns its first result without applying."""
        return (await self.post_many([entry]))[0]

    async def record(self, key: str) -> dict[str, str]:
        """A reservation, hold or counter hash (build the key with ``shared.redis_keys``)."""
        return (await self.read_records([key]))[0]

    async def run(self, work: Entry | Plan) -> PostResult:
        """Post an entry, or read what a plan needs, build its entry and post it."""
        if isinstance(work, Entry):
            return await self.post(work)
        return await self.post(work.build(await self.read_records(work.reads)))

    async def run_many(self, batch: Sequence[Entry | Plan]) -> list[PostResult]:
        """Run entries and plans with every plan's reads first, then every entry.

        A plan therefore sees the records as they were before the batch: do not batch a plan with the entry
        that creates or rebases the record it reads (the other plans read only fields those two alone set).
        """
        if not batch:
            return []
        keys = plan_reads(batch)
        return await self.post_many(built(batch, dict(zip(keys, await self.read_records(keys)))))


def _entry_method(builder: Builder) -> Callable[..., Any]:
    @functools.wraps(builder)
    async def method(self: LedgerPort, *args: Any, **kwargs: Any) -> PostResult:
        return await self.run(builder(*args, **kwargs))

    return method


def _admin_method(builder: AdminBuilder) -> Callable[..., Any]:
    @functools.wraps(builder)
    async def method(self: LedgerPort, *args: Any, **kwargs: Any) -> None:
        await self.apply_admin(builder(*args, **kwargs))

    return method


for _name, _builder in ENTRY_OPERATIONS.items():
    setattr(LedgerPort, _name, _entry_method(_builder))
for _name, _admin in ADMIN_OPERATIONS.items():
    setattr(LedgerPort, _name, _admin_method(_admin))
