"""The outbox relay: publishes order entry's outbox (``shared.order_outbox``) to ``orders.commands`` and keeps
publishing every command matching has not acknowledged (``outbox_acks``), so an accepted order reaches matching
even when the broker lost it.

One background task of order entry (started and stopped by the app's lifespan):
- reads new outbox entries in stream order and publishes them in batches, keyed by instrument (so one
  instrument's commands stay in order on one partition); the read position advances only once the broker has
  acknowledged the whole batch, so a failed batch is published again. One batch is in flight at a time, but the
  read of the next one runs while the broker acknowledges it: a relay step costs one round trip, not two, and an
  order accepted meanwhile waits for the slower of the two instead of both;
- deletes from the outbox, in batches, the commands matching acknowledged (the event reader reports them) and
  a durable snapshot of matching covers (``shared.order_outbox.covered_key``, read once a second);
- when ``orders.commands`` was recreated (``shared.topic_incarnation``: the embedded broker restarted; checked
  with every read, before anything new is published) every command still in the outbox is published again, in
  order, acknowledged or not: matching may restart from a snapshot taken before it applied them;
- once a second: a new order or a cancel published more than ``resend_after_s`` ago with no outcome is checked
  against the order's state in Redis and published again if matching has not applied it. Amends are published
  again only after a lost topic: an amend applied twice after fills could reopen quantity, so an amend's outcome
  is otherwise waited for.

With nothing held (every command applied and covered) there is nothing to sweep, and the read blocks for
`IDLE_BLOCK_MS` instead of 100 ms: ``accept.lua``'s append ends it at once, so an idle relay costs one round trip
a second and the next order none of its latency.

Matching drops a new order whose id it has seen, and an amend or cancel whose event id it has seen, so publishing
again is safe. A mass cancel counts as acknowledged once the broker has it, and is held until covered like the rest.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio.client import Pipeline

from services.order_entry.outbox_acks import Pending, PendingCommands
from shared import market_keys as mk
from shared import order_outbox, topic_incarnation
from shared.kafka import TRANSIENT_ERRORS
from shared.redis_text import text
from shared.runtime import ServiceContext
from shared.topics import ORDERS_COMMANDS

log = logging.getLogger(__name__)

BATCH = 2000
SWEEP_EVERY_S = 1.0
IDLE_BLOCK_MS = 1000  # under the clients' 5 s socket timeout, and how long `stop` may wait for the read


class OutboxRelay:
    def __init__(self, ctx: ServiceContext, *, resend_after_s: float = 5.0, block_ms: int = 100) -> None:
        self._ctx = ctx
        self._resend_after_s = resend_after_s
        self._block_ms = block_ms
        self.pending = PendingCommands()
        self._cursor = "0"  # after the last batch the broker acknowledged
        self._read_from = "0"  # after the last batch sent
        self._sending: tuple[list[Pending], list[asyncio.Future], str] | None = None  # the batch in flight
        self._incarnation: str | None = None
        self._swept_at = 0.0
        self._stopping = asyncio.Event()

    def on_event(self, kind: str, payload: dict) -> None:
        """Called by the event reader for every event of ``orders.events``."""
        self.pending.on_event(kind, payload)

    def stop(self) -> None:
        """Ask `run` to return after its current step (cancelling redis-py in a blocking read can wedge it)."""
        self._stopping.set()

    async def run(self) -> None:
        backoff = 0.2
        while not (self._ctx.stop.is_set() or self._stopping.is_set()):
            try:
                await self._step()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except TRANSIENT_ERRORS as err:
                if asyncio.current_task().cancelling():  # a cancellation the client library turned into an error
                    raise asyncio.CancelledError from err
                log.warning("outbox relay: %s; retrying in %.1fs", err, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _step(self) -> None:
        # The deletes of what was pruned, the topic's incarnation and the next read share one round trip, which
        # runs while the broker acknowledges the batch sent in the step before.
        done = self.pending.take_done()
        pipe = self._ctx.redis.pipeline(transaction=False)
        for start in range(0, len(done), 1000):
            pipe.xdel(order_outbox.STREAM, *done[start:start + 1000])
        pipe.get(topic_incarnation.incarnation_key(ORDERS_COMMANDS.name))
        holding = self.pending.holding()
        pipe.xread({order_outbox.STREAM: self._read_from}, count=BATCH,
                   block=self._block_ms if holding else max(self._block_ms, IDLE_BLOCK_MS))
        *_, token, replies = await (self._read_acknowledging(pipe) if self._sending else pipe.execute())
        await self._follow(text(token))
        if replies:
            batch = []
            for entry_id, fields in replies[0][1]:
                pending = _pending(entry_id, fields)
                self.pending.add(pending)
                batch.append(pending)
            self._sending = (batch, await self._send(batch), self._incarnation or "")
            self._read_from = batch[-1].entry_id
        now = time.monotonic()
        if (holding or replies) and now - self._swept_at >= SWEEP_EVERY_S:
            self._swept_at = now
            await self._acknowledged()
            await self._sweep(now)

    async def _read_acknowledging(self, pipe: Pipeline) -> list:
        """Run the read while the batch in flight is acknowledged."""
        reading = asyncio.ensure_future(pipe.execute())
        try:
            await self._acknowledged()
        except Exception:
            await asyncio.wait([reading])  # never cancel a blocking read (see `stop`); what it read is read again
            raise
        return await reading

    async def _acknowledged(self) -> None:
        """Wait until the batch in flight is acknowledged and record where it went; if it failed, the next read
        starts after the last acknowledged batch again."""
        if self._sending is None:
            return
        (batch, sends, incarnation), self._sending = self._sending, None
        try:
            await self._placed(batch, sends, incarnation)
        except BaseException:
            self._read_from = self._cursor
            raise
        self._cursor = batch[-1].entry_id

    async def _follow(self, incarnation: str) -> None:
        """Publish everything held again if the topic was recreated since the last look (before anything new)."""
        if self._incarnation is not None and incarnation != self._incarnation:
            held = self.pending.held()
            log.warning("%s was recreated: publishing the %d command(s) still in the outbox again (%d of them not "
                        "acknowledged)", ORDERS_COMMANDS.name, len(held), len(self.pending))
            await self._publish(held, incarnation=incarnation)
        self._incarnation = incarnation  # only once they are all published again

    async def _publish(self, batch: list[Pending], *, incarnation: str | None = None) -> None:
        """Send a batch and wait until the broker acknowledged all of it."""
        if incarnation is None:
            incarnation = self._incarnation or ""
        await self._placed(batch, await self._send(batch), incarnation)

    async def _send(self, batch: list[Pending]) -> list[asyncio.Future]:
        producer = self._ctx.producer
        return [await producer.send(ORDERS_COMMANDS.name, p.value, key=p.key,
                                    headers=[(order_outbox.HEADER, p.entry_id.encode())]) for p in batch]

    async def _placed(self, batch: list[Pending], sends: list[asyncio.Future], incarnation: str) -> None:
        placed = await asyncio.gather(*sends)
        now = time.monotonic()
        for pending, record in zip(batch, placed):
            pending.sent_at = now
            pending.partition, pending.offset, pending.incarnation = record.partition, record.offset, incarnation
            if pending.kind == order_outbox.MASS_CANCEL:
                self.pending.acknowledge(pending)

    async def _sweep(self, now: float) -> None:
        partitions = sorted(self.pending.applied_partitions())
        pipe = self._ctx.redis.pipeline(transaction=False)
        pipe.get(topic_incarnation.incarnation_key(ORDERS_COMMANDS.name))
        for partition in partitions:
            pipe.get(order_outbox.covered_key(ORDERS_COMMANDS.name, partition))
        token, *covered = await pipe.execute()
        await self._follow(text(token))
        snapshots = {p: c for p, raw in zip(partitions, covered) if (c := order_outbox.parse_covered(text(raw)))}
        self.pending.prune(snapshots)
        overdue = [p for p in self.pending.overdue(now=now, after=self._resend_after_s)
                   if p.kind != order_outbox.AMEND]
        if not overdue:
            return
        pipe = self._ctx.redis.pipeline(transaction=False)
        for pending in overdue:
            pipe.hget(mk.order_state(pending.order_id), "status")
        statuses = [s.decode() if isinstance(s, bytes) else (s or "") for s in await pipe.execute()]
        again = self.pending.on_states(zip(overdue, statuses))
        if again:
            log.warning("publishing %d command(s) again that matching has not applied", len(again))
            await self._publish(again)


def _pending(entry_id: bytes | str, fields: dict[bytes, bytes]) -> Pending:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return Pending(entry_id=text, key=fields[b"k"], value=fields[b"v"], kind=fields[b"c"].decode(),
                   order_id=fields[b"o"].decode())
