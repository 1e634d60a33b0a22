"""The matching service: consumes `orders.commands`, runs one engine per instrument, publishes the events,
mirrors the books into Redis, and snapshots each partition's books with the offset they cover.

Per partition batch: apply every command, send its events, and hand the batch to the outbox
(`services.matching.outbox`), which in the background waits for the broker's acks, mirrors the batch into
Redis and commits the offset, batch after batch in order; matching goes straight on to the next batch.
A snapshot is captured between two batches and handed to the outbox with the batch it follows, which writes
it only after that batch is acknowledged and mirrored: a snapshot never covers a command whose events are not
yet durable, and matching never waits for it. Only giving a partition up waits until the outbox is drained.

Why this loses nothing: the engines are deterministic and every event id is `{instrument}:{seq}`. If the
process dies, or Redis or the broker goes away, while batches are still in the outbox, the partitions are
rebuilt from their last snapshot and the commands after it are applied again: the same events come out with
the same ids and sequence numbers, so what the broker already held is sent twice and dropped downstream, and
the mirror (whose sequence number is written in the same Lua call as the books) skips what it already holds.
The committed offset only shows progress; recovery starts from the snapshot's offset. If the broker forgot the
topic as well, the commands after the snapshot come from order entry's outbox, which keeps them until a snapshot
covers them (`services.matching.command_replay`), applied in outbox order before the new topic is read.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from services.matching import book_mirror, command_replay, engine_commands, partition_state
from services.matching import prometheus_metrics as metrics
from services.matching.core import BUILD, MatchingEngine, SetReferencePrice
from services.matching.command_replay import OutboxCommand
from services.matching.event_publisher import send_events
from services.matching.outbox import Outbox, Written
from services.matching.partition_state import PartitionState
from services.matching.engine_commands import EngineCommand
from services.matching.translate import command_of, rules_of
from shared import market_keys as keys
from shared import order_outbox, topic_incarnation, wakeup
from shared.consumer_watchdog import WatchedConsumer
from shared.envelope import Envelope
from shared.fetch_pacer import FetchPacer
from shared.kafka import TRANSIENT_ERRORS, Delivery, dead_letter, make_consumer, parse
from shared.messages import order_commands as wire
from shared.messages.vocabulary import Message
from shared.prometheus_metrics import watch_lag
from shared.runtime import ServiceContext
from shared.topics import ORDERS_COMMANDS

log = logging.getLogger(__name__)

#: Commands order entry's outbox keeps until a snapshot covers them (``shared.order_outbox``), and clock steps.
#: The others (an instrument's configuration, phase changes, band overrides) are published straight to the topic:
#: a batch that applied one is snapshot with the batch, so that it does not depend on the broker's memory should
#: the broker and matching both restart.
ROUTINE_COMMANDS = (wire.SubmitOrder, wire.CancelOrder, wire.AmendOrder, wire.MassCancel, wire.AdvanceClock)
ENGINE_COMMANDS = (wire.SubmitOrder, wire.CancelOrder, wire.AmendOrder, wire.MassCancel, wire.ChangePhase,
                   wire.AdvanceClock, wire.SetBandOverride, wire.ClearBandOverride)


class MatchingService(ConsumerRebalanceListener):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.consumer = WatchedConsumer(
            lambda: make_consumer(ctx.settings, group_id="matching", client_id=ctx.instance), ctx.redis, ctx,
            abandon=self._abandon)
        self.partitions: dict[TopicPartition, PartitionState] = {}
        self.pacer = FetchPacer.of(self.consumer, ctx.settings)
        self.outbox = Outbox(ctx.redis, self.consumer)

    # --- partition ownership -------------------------------------------------------------------------------------

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        for tp in assigned:
            while not self.ctx.stop.is_set():  # a partition without its books would have its commands skipped
                try:
                    await self._take_over(tp)
                    break
                except TRANSIENT_ERRORS as err:
                    log.error("cannot load the books of %s yet: %s", tp, err)
                    await asyncio.sleep(1.0)

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        states = [state for tp in revoked if (state := self.partitions.pop(tp, None)) is not None]
        if not states:
            return
        try:
            await self.outbox.drain()
            for state in states:
                await partition_state.save(self.ctx.redis, state)
        except TRANSIENT_ERRORS as err:  # the next owner replays from the older snapshot instead
            log.error("could not snapshot %s on revocation: %s", revoked, err)

    async def _take_over(self, tp: TopicPartition) -> None:
        state = await partition_state.load(self.ctx.redis, tp.topic, tp.partition)
        incarnation = await topic_incarnation.current(self.ctx.redis, tp.topic)
        if state is None:
            state = PartitionState(tp.topic, tp.partition)
        elif state.incarnation != incarnation:
            log.warning("%s was recreated since the snapshot (broker restart): books kept, order entry's outbox "
                        "applied after entry %r, then commands read from 0", tp, state.outbox_id)
            state.next_offset = 0
            state.replay_outbox = True
        state.incarnation = incarnation
        self.consumer.seek(tp, state.next_offset)
        state.snapshot_at = time.monotonic()
        self.partitions[tp] = state
        await self.ctx.redis.set(partition_state.owner_key(tp.topic, tp.partition), self.ctx.instance)
        log.info("owning %s from offset %s with %d book(s)", tp, state.next_offset, len(state.engines))

    # --- the loop ------------------------------------------------------------------------------------------------

    async def _abandon(self, partitions: list[TopicPartition]) -> None:
        """A stuck consumer is being replaced (`shared.consumer_watchdog`) with its fetch loop cancelled, maybe in
        the middle of a batch: the books in memory may be ahead of what was sent, so nothing is snapshot from
        them. What the outbox holds is written; the next join rebuilds the partitions from their snapshots."""
        log.warning("dropping the books of %s: rebuilt from their snapshots on the next assignment", partitions)
        self.partitions.clear()
        await self.outbox.reset()

    async def run(self) -> None:
        log.info("matching core: %s build", BUILD)
        self.consumer.subscribe([ORDERS_COMMANDS.name], listener=self)
        if not await self.consumer.start(self.ctx.stop):
            return
        self.outbox.start()
        lag = asyncio.create_task(watch_lag(self.consumer, self.ctx.stop))
        pokes = asyncio.create_task(wakeup.listen(self.ctx.redis, (ORDERS_COMMANDS.name,), self.pacer.wake,
                                                  self.pacer.listening, self.ctx.stop))
        try:
            await self.consumer.supervise(self._fetch_loop, self.ctx.stop)
        finally:
            lag.cancel()
            pokes.cancel()
            try:
                await self.on_partitions_revoked(list(self.partitions))
            finally:
                await self.outbox.stop()
                await self.consumer.stop()

    async def _fetch_loop(self) -> None:
        while not self.ctx.stop.is_set():
            try:
                batches = await self.consumer.getmany(timeout_ms=self.pacer.timeout_ms(100), max_records=5000)
            except KafkaError as err:
                log.error("fetch failed, retrying: %s", err)
                await asyncio.sleep(0.5)
                continue
            self.pacer.fetched(bool(batches))
            try:
                for tp, state in list(self.partitions.items()):
                    if state.replay_outbox:
                        await self._replay_outbox(tp, state)
                for tp, records in batches.items():
                    state = self.partitions.get(tp)
                    if state is not None:
                        await self._apply(tp, state, records)
                await self._snapshot_due()
            except TRANSIENT_ERRORS as err:
                await self._recover(err)

    async def _recover(self, err: BaseException) -> None:
        """Rebuild every owned partition from its snapshot: the outbox may have dropped any of their batches.
        The consumer seeks back, so the records fetched after the failed batch are fetched again."""
        log.error("server unavailable while matching; rebuilding from the snapshots: %s", err)
        await self.outbox.reset()
        while not self.ctx.stop.is_set():
            await asyncio.sleep(1.0)
            try:
                for tp in list(self.partitions):
                    await self._take_over(tp)
                return
            except TRANSIENT_ERRORS as again:
                log.error("still unavailable: %s", again)

    async def _apply(self, tp: TopicPartition, state: PartitionState, records) -> None:
        if records and records[0].offset < state.next_offset:
            # Only a recreated topic (a restarted embedded broker) delivers offsets below the snapshot's: its
            # commands are new, so the books stay as they are and the offsets start again.
            log.warning("%s restarts at offset %s below the expected %s: topic recreated, continuing from there",
                        tp, records[0].offset, state.next_offset)
            state.next_offset = records[0].offset
            state.incarnation = await topic_incarnation.current(self.ctx.redis, tp.topic)
        fresh = [record for record in records if record.offset >= state.next_offset]
        items = [(record, engine_commands.decode(record) or parse(record)) for record in fresh]
        await self._apply_items(tp, state, items, records)

    async def _replay_outbox(self, tp: TopicPartition, state: PartitionState) -> None:
        """Apply order entry's outbox after the snapshot's last entry (see `command_replay`)."""
        count, since = 0, state.outbox_id
        async for page in command_replay.after(self.ctx.redis, since, set(state.engines)):
            await self._apply_items(tp, state, [(None, command) for command in page], [])
            count += len(page)
        state.replay_outbox = False
        log.warning("%s: applied %d command(s) again from order entry's outbox after entry %r", tp, count, since)

    async def _apply_items(self, tp: TopicPartition, state: PartitionState,
                           items: list[tuple[ConsumerRecord | None, EngineCommand | Delivery | OutboxCommand | str]],
                           records: list[ConsumerRecord]) -> None:
        """Apply commands, each read from the topic (with its record) or from order entry's outbox (without)."""
        touched: dict[str, list] = {}
        operators = False  # an operator's command was applied: snapshot with this batch (see ROUTINE_COMMANDS)
        for record, parsed in items:
            routine = type(parsed) is EngineCommand
            entry_id = parsed.entry_id if routine or record is None else order_outbox.entry_id_of(record.headers)
            reason = parsed if isinstance(parsed, str) else None
            if reason is None:
                try:
                    if routine:
                        reason = engine_commands.apply(parsed, state.engines, touched)
                    else:
                        reason = await self._handle(state, parsed.message, parsed.envelope, touched)
                except TRANSIENT_ERRORS:
                    raise
                except Exception as err:  # a bug or an input nobody foresaw must not stop every instrument
                    log.exception("command %s on %s failed", engine_commands.event_id_of(parsed), tp)
                    reason = f"matching failed on this command: {type(err).__name__}: {err}"
            if reason and record is not None:
                await dead_letter(self.ctx.producer, record, reason)
            elif reason:
                log.error("command %s from order entry's outbox not applied: %s", engine_commands.event_id_of(parsed),
                          reason)
            elif not routine and not isinstance(parsed.message, ROUTINE_COMMANDS):
                operators = True
            if record is not None:
                state.next_offset = record.offset + 1
            if entry_id:
                state.applied_entry(entry_id)
        state.commands_since_snapshot += len(items)
        ops: book_mirror.Ops = []
        deliveries = []
        kept: dict[int, list[tuple[str, bytes]]] = {}
        if touched:
            deliveries = await send_events(self.ctx.producer, touched, kept, state.heads)
            for instrument, events in touched.items():
                state.mirrored[instrument] = book_mirror.mirror_ops(
                    ops, instrument, events, after_seq=state.mirrored.get(instrument, 0))
        metrics.batch_matched(records, touched)
        snapshot = None
        if operators or state.commands_since_snapshot >= self.ctx.settings.matching_snapshot_every:
            snapshot = partition_state.capture(state)
            state.snapshot_at = time.monotonic()
        await self.outbox.put(Written(tp, state.next_offset, deliveries, ops, kept, snapshot))

    async def _handle(self, state: PartitionState, message: Message, envelope: Envelope,
                      touched: dict[str, list]) -> str | None:
        """Apply one command parsed by pydantic; return why it was dead-lettered, or None (see
        `engine_commands.apply`)."""
        ts = envelope.occurred_at
        if isinstance(message, wire.ConfigureInstrument):
            await self._configure(state, message, ts, touched)
            return None
        if not isinstance(message, ENGINE_COMMANDS):
            return f"{type(message).__name__} is not a matching command"
        submit = isinstance(message, wire.SubmitOrder)
        command = command_of(message, ts) if submit else command_of(message, ts, envelope.event_id)
        ready = EngineCommand(message.instrument, getattr(message, "order_id", ""), command, submit, envelope.event_id,
                              "")
        return engine_commands.apply(ready, state.engines, touched)

    async def _configure(self, state: PartitionState, config: wire.ConfigureInstrument, ts: int,
                         touched: dict[str, list]) -> None:
        rules = rules_of(config)
        engine = state.engines.get(config.instrument)
        if engine is None:
            engine = MatchingEngine(rules)
            seq = await self.ctx.redis.get(keys.mirrored_seq(config.instrument))
            state.mirrored[config.instrument] = int(seq or 0)
        else:
            snapshot = engine.snapshot()
            snapshot["rules"] = rules.to_dict()
            if rules.circuit_breaker is None:
                snapshot["breaker"] = None
            engine = MatchingEngine.restore(snapshot)
        state.engines[config.instrument] = engine
        if config.reference_price is not None and config.reference_price != engine.reference_price:
            touched.setdefault(config.instrument, []).extend(
                engine.handle(SetReferencePrice(price=config.reference_price, ts=ts)))

    async def _snapshot_due(self) -> None:
        """Snapshot partitions that matched something since their last snapshot and the interval ago; the outbox
        writes it after the batches before it, so matching does not wait for them."""
        now = time.monotonic()
        for tp, state in list(self.partitions.items()):
            if state.commands_since_snapshot and now - state.snapshot_at >= self.ctx.settings.matching_snapshot_interval_s:
                state.snapshot_at = now
                await self.outbox.put(Written(tp, state.next_offset, [], [], {}, partition_state.capture(state)))


async def main(ctx: ServiceContext) -> None:
    await MatchingService(ctx).run()
