"""Which outbox commands matching has applied, decided from its events and from the order's state, and which of
those a durable snapshot of matching covers: pure, no I/O.

The relay (``outbox_relay``) records every command it publishes here (with the partition, offset and topic
incarnation of its last publish) and deletes from the outbox what this module says is acknowledged and covered.
Acknowledged:

- a new order by its ``OrderAccepted`` or ``OrderRejected``;
- an amend by its ``OrderAmended``, a cancel by its ``OrderCancelled``, either by a ``CommandRejected``
  naming the order (unless the order's own submit is still unacknowledged: then the command overtook a lost
  submit and must be sent again after it);
- every command of an order once the order has ended (rejected, cancelled, expired, filled);
- when no event was seen (the event reader was away), by the order's state that matching mirrors into Redis:
  a submit once the order left PENDING_NEW, anything once the order has ended.

Covered (`prune`): matching's last durable snapshot of the entry's partition is of the same topic incarnation
and its next offset is past the entry's offset (``shared.order_outbox.covered_key``). Until then an applied entry
is held: should the broker forget the topic and matching restart from an older snapshot, the relay publishes
every held entry again (`held`, in outbox order) and matching applies it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared import market_keys as mk
from shared.order_outbox import AMEND, CANCEL, SUBMIT, stream_order

ENDED = frozenset({mk.FILLED, mk.CANCELLED, mk.EXPIRED, mk.REJECTED})
_ENDING_EVENTS = frozenset({"OrderRejected", "OrderCancelled", "OrderExpired"})


@dataclass(slots=True)
class Pending:
    """One outbox entry on its way to matching; ``sent_at`` is when it was last published (None: not yet)."""

    entry_id: str
    key: bytes
    value: bytes
    kind: str
    order_id: str
    sent_at: float | None = None
    partition: int | None = None  # where it was last published: partition, offset, topic incarnation
    offset: int = -1
    incarnation: str = ""

    def covered_by(self, covered: Mapping[int, tuple[str, int]]) -> bool:
        """Whether a snapshot covering `covered` (partition → (incarnation, next offset)) includes this entry."""
        snapshot = covered.get(self.partition) if self.partition is not None else None
        return snapshot is not None and snapshot[0] == self.incarnation and self.offset < snapshot[1]


class PendingCommands:
    """The outbox entries not yet acknowledged, in outbox order; those acknowledged but not yet covered by a
    snapshot of matching; and those pruned since the last `take_done`."""

    def __init__(self) -> None:
        self._entries: dict[str, Pending] = {}
        self._by_order: dict[str, list[Pending]] = {}
        self._applied: dict[str, Pending] = {}
        self._done: list[str] = []

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self._entries

    def add(self, pending: Pending) -> None:
        if pending.entry_id in self._entries or pending.entry_id in self._applied:
            return
        self._entries[pending.entry_id] = pending
        if pending.order_id:
            self._by_order.setdefault(pending.order_id, []).append(pending)

    def holding(self) -> bool:
        """Whether any entry is still in the outbox, acknowledged or not."""
        return bool(self._entries or self._applied)

    def held(self) -> list[Pending]:
        """Every entry still in the outbox, acknowledged or not, in outbox order."""
        return sorted((*self._entries.values(), *self._applied.values()), key=lambda p: stream_order(p.entry_id))

    def applied_partitions(self) -> set[int]:
        """The partitions of the entries acknowledged but not yet covered."""
        return {p.partition for p in self._applied.values() if p.partition is not None}

    def prune(self, covered: Mapping[int, tuple[str, int]]) -> int:
        """Drop the acknowledged entries that `covered` (partition → (incarnation, next offset) of matching's last
        durable snapshot) includes; they go out with the next `take_done`. How many."""
        pruned = [entry_id for entry_id, pending in self._applied.items() if pending.covered_by(covered)]
        for entry_id in pruned:
            del self._applied[entry_id]
        self._done.extend(pruned)
        return len(pruned)

    def overdue(self, *, now: float, after: float) -> list[Pending]:
        """Entries published more than `after` seconds before `now`, oldest first."""
        return [p for p in self._entries.values() if p.sent_at is not None and now - p.sent_at >= after]

    def acknowledge(self, pending: Pending) -> None:
        """Matching applied it: held until a snapshot covers it (`prune`)."""
        if self._entries.pop(pending.entry_id, None) is None:
            return
        self._applied[pending.entry_id] = pending
        if pending.order_id:
            of_order = self._by_order[pending.order_id]
            of_order.remove(pending)
            if not of_order:
                del self._by_order[pending.order_id]

    def take_done(self) -> list[str]:
        """Entry ids pruned since the last call (to delete from the outbox)."""
        done, self._done = self._done, []
        return done

    def on_event(self, kind: str, payload: Mapping[str, Any]) -> None:
        """Acknowledge what one event of ``orders.events`` (type and payload as decoded JSON) shows applied."""
        if kind == "TradeExecuted":
            for side in ("buy", "sell"):
                if payload.get(f"{side}_leaves_quantity") == 0:
                    self._ended(payload.get(f"{side}_order_id"))
            return
        order_id = payload.get("order_id")
        entries = self._by_order.get(order_id) if isinstance(order_id, str) else None
        if not entries:
            return
        if kind in _ENDING_EVENTS:
            self._ended(order_id)
        elif kind == "OrderAccepted":
            self._first(entries, SUBMIT)
        elif kind == "OrderAmended":
            self._first(entries, AMEND)
        elif kind == "CommandRejected" and payload.get("command") in (AMEND, CANCEL):
            if not any(p.kind == SUBMIT for p in entries):
                self._first(entries, payload["command"])

    def on_states(self, states: Iterable[tuple[Pending, str]]) -> list[Pending]:
        """Acknowledge overdue entries by their order's mirrored status; return those still to send, in order."""
        again = []
        for pending, status in states:
            if status in ENDED or (pending.kind == SUBMIT and status not in ("", mk.PENDING_NEW)):
                self.acknowledge(pending)
            else:
                again.append(pending)
        return again

    def _first(self, entries: list[Pending], kind: str) -> None:
        for pending in entries:
            if pending.kind == kind:
                self.acknowledge(pending)
                return

    def _ended(self, order_id: object) -> None:
        if isinstance(order_id, str):
            for pending in list(self._by_order.get(order_id, ())):
                self.acknowledge(pending)
