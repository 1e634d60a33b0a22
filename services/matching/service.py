"""The matching service: consumes `orders.commands`, runs one engine per instrument, publishes the events,
mirrors the books into Redis, and snapshots each partition's books with the offset they cover.

Per partition batch: apply every command, publish every event and wait for the broker's acks, mirror to
Redis in one transaction, snapshot when due, then commit the offset. If Redis or the broker goes away
mid-batch, the partition is rebuilt from its last snapshot and the commands are replayed: the events
come out again with the same ids, and the mirror skips what it already holds.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from services.matching import book_mirror, partition_state
from services.matching.core import MatchingEngine, SetReferencePrice
from services.matching.partition_state import PartitionState
from services.matching.event_publisher import publish_events
from services.matching.translate import command_of, rules_of
from shared import market_keys as keys
from shared import messages as wire
from shared.kafka import TRANSIENT_ERRORS, dead_letter, make_consumer, parse
from shared.runtime import ServiceContext
from shared.topics import ORDERS_COMMANDS

log = logging.getLogger(__name__)

ENGINE_COMMANDS = (wire.SubmitOrder, wire.CancelOrder, wire.AmendOrder, wire.MassCancel, wire.ChangePhase,
                   wire.AdvanceClock)


class MatchingService(ConsumerRebalanceListener):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.consumer = make_consumer(ctx.settings, group_id="matching", client_id=ctx.instance)
        self.partitions: dict[TopicPartition, PartitionState] = {}

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
        for tp in revoked:
            state = self.partitions.pop(tp, None)
            if state is not None:
                try:
                    await partition_state.save(self.ctx.redis, state)
                except TRANSIENT_ERRORS as err:  # the next owner replays from the older snapshot instead
                    log.error("could not snapshot %s on revocation: %s", tp, err)

    async def _take_over(self, tp: TopicPartition) -> None:
        state = await partition_state.load(self.ctx.redis, tp.topic, tp.partition)
        if state is None:
            state = PartitionState(tp.topic, tp.partition)
            self.consumer.seek(tp, 0)
        else:
            self.consumer.seek(tp, state.next_offset)
        state.snapshot_at = time.monotonic()
        self.partitions[tp] = state
        await self.ctx.redis.set(partition_state.owner_key(tp.topic, tp.partition), self.ctx.instance)
        log.info("owning %s from offset %s with %d book(s)", tp, state.next_offset, len(state.engines))

    # --- the loop ------------------------------------------------------------------------------------------------

    async def run(self) -> None:
        self.consumer.subscribe([ORDERS_COMMANDS.name], listener=self)
        await self.consumer.start()
        try:
            while not self.ctx.stop.is_set():
                try:
                    batches = await self.consumer.getmany(timeout_ms=100, max_records=2000)
                except KafkaError as err:
                    log.error("fetch failed, retrying: %s", err)
                    await asyncio.sleep(0.5)
                    continue
                for tp, records in batches.items():
                    state = self.partitions.get(tp)
                    if state is not None:
                        await self._apply_or_recover(tp, state, records)
                await self._snapshot_due()
        finally:
            for tp in list(self.partitions):
                await self.on_partitions_revoked([tp])
            await self.consumer.stop()

    async def _apply_or_recover(self, tp: TopicPartition, state: PartitionState, records) -> None:
        try:
            await self._apply(tp, state, records)
        except TRANSIENT_ERRORS as err:
            log.error("server unavailable while matching %s; rebuilding from snapshot: %s", tp, err)
            while not self.ctx.stop.is_set():
                await asyncio.sleep(1.0)
                try:
                    await self._take_over(tp)
                    return
                except TRANSIENT_ERRORS as again:
                    log.error("still unavailable: %s", again)

    async def _apply(self, tp: TopicPartition, state: PartitionState, records) -> None:
        touched: dict[str, list] = {}
        if records and records[0].offset < state.next_offset:
            # Only a recreated topic (a restarted embedded broker) delivers offsets below the snapshot's: its
            # commands are new, so the books stay as they are and the offsets start again.
            log.warning("%s restarts at offset %s below the expected %s: topic recreated, continuing from there",
                        tp, records[0].offset, state.next_offset)
            state.next_offset = records[0].offset
        for record in records:
            if record.offset < state.next_offset:
                continue
            parsed = parse(record)
            if isinstance(parsed, str):
                reason = parsed
            else:
                try:
                    reason = await self._handle(state, parsed.message, parsed.envelope.occurred_at, touched)
                except TRANSIENT_ERRORS:
                    raise
                except Exception as err:  # a bug or an input nobody foresaw must not stop every instrument
                    log.exception("command at %s@%s failed", tp, record.offset)
                    reason = f"matching failed on this command: {type(err).__name__}: {err}"
            if reason:
                await dead_letter(self.ctx.producer, record, reason)
            state.next_offset = record.offset + 1
            state.commands_since_snapshot += 1
        if touched:
            await publish_events(self.ctx.producer, touched)
        if touched:
            ops: book_mirror.Ops = []
            mirrored = {i: book_mirror.mirror_ops(ops, i, events, after_seq=state.mirrored.get(i, 0))
                        for i, events in touched.items()}
            if ops:
                await book_mirror.apply(self.ctx.redis, ops)
            state.mirrored.update(mirrored)
        if state.commands_since_snapshot >= self.ctx.settings.matching_snapshot_every:
            await self._save(state)
        await self.consumer.commit({tp: state.next_offset})

    async def _handle(self, state: PartitionState, message: wire.Message, ts: int,
                      touched: dict[str, list]) -> str | None:
        """Apply one command; return why it was dead-lettered, or None."""
        if isinstance(message, wire.ConfigureInstrument):
            await self._configure(state, message, ts, touched)
            return None
        if not isinstance(message, ENGINE_COMMANDS):
            return f"{type(message).__name__} is not a matching command"
        engine = state.engines.get(message.instrument)
        if engine is None:
            return f"unknown instrument {message.instrument!r}"
        events = engine.handle(command_of(message, ts))
        touched.setdefault(message.instrument, []).extend(events)
        return None

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
        now = time.monotonic()
        for state in self.partitions.values():
            if state.commands_since_snapshot and now - state.snapshot_at >= self.ctx.settings.matching_snapshot_interval_s:
                try:
                    await self._save(state)
                except TRANSIENT_ERRORS as err:
                    log.error("snapshot of %s:%s failed: %s", state.topic, state.partition, err)

    async def _save(self, state: PartitionState) -> None:
        await partition_state.save(self.ctx.redis, state)
        state.snapshot_at = time.monotonic()


async def main(ctx: ServiceContext) -> None:
    await MatchingService(ctx).run()
