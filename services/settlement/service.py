"""The settlement service: consumes `orders.events` (matching's trades, amends and order ends) and
`bridge.results` (the bridge's decisions on cross-registry trades) in the consumer group "settlement".

Its parts: ``order_events`` and ``bridge_results`` settle a batch of each topic; ``effects`` writes a batch's
effects in the order that makes a crash harmless; ``event_catch_up`` brings matching's events that a restarted
broker forgot from matching's outbox, and ``request_relay`` sends the requests the bridge may not have had
again; ``journal_mirror`` publishes the ledger's journal on `registry.transfers`. The ``consume`` helper
works the partition batches of a fetch concurrently (partitions share no record a batch reads: instruments
own their orders, and the ledger checks balances atomically) and commits a batch's offsets only once its
effects are durable and its events acknowledged.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import ConsumerRebalanceListener, TopicPartition

from services.settlement.bridge_results import BridgeResults
from services.settlement.effects import Effects
from services.settlement.event_catch_up import EventCatchUp, Handler
from services.settlement.instruments import InstrumentCache
from services.settlement.journal_mirror import run_journal_mirror
from services.settlement.order_events import OrderEvents
from services.settlement.request_relay import RequestRelay
from shared import topic_incarnation, wakeup
from shared.consumer_watchdog import WatchedConsumer
from shared.fetch_pacer import FetchPacer
from shared.kafka import TRANSIENT_ERRORS, Delivery, consume, dead_letter, make_consumer
from shared.ledger import AsyncLedger, LedgerPort
from shared.prometheus_metrics import watch_lag
from shared.reference_store import ReferenceStore
from shared.runtime import ServiceContext
from shared.topics import BRIDGE_RESULTS, ORDERS_EVENTS

log = logging.getLogger(__name__)


class SettlementService(ConsumerRebalanceListener):
    def __init__(self, ctx: ServiceContext, *, ledger: LedgerPort, group_id: str = "settlement") -> None:
        self.ctx = ctx
        effects = Effects(ctx.redis, ctx.producer, ledger)
        self.order_events = OrderEvents(effects, InstrumentCache(ReferenceStore(ctx.redis)))
        self.bridge_results = BridgeResults(effects)
        self.catch_up = EventCatchUp(ctx.redis, self._isolating(self.order_events.handle))
        self.relay = RequestRelay(ctx.redis, ctx.producer)
        self.consumer = WatchedConsumer(
            lambda: make_consumer(ctx.settings, group_id=group_id, client_id=ctx.instance), ctx.redis, ctx)
        self.consumer.subscribe([ORDERS_EVENTS.name, BRIDGE_RESULTS.name], listener=self)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.catch_up.assigned(tp.partition for tp in assigned if tp.topic == ORDERS_EVENTS.name)
        if any(tp.topic == BRIDGE_RESULTS.name for tp in assigned):
            self.relay.assigned()

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.catch_up.revoked(tp.partition for tp in revoked if tp.topic == ORDERS_EVENTS.name)

    async def run(self) -> None:
        if not await self.consumer.start(self.ctx.stop):
            return
        stop = self.ctx.stop
        pacer = FetchPacer.of(self.consumer, self.ctx.settings)
        helpers = [asyncio.create_task(run_journal_mirror(self.ctx.redis, self.ctx.producer, stop)),
                   asyncio.create_task(wakeup.listen(self.ctx.redis, (ORDERS_EVENTS.name, BRIDGE_RESULTS.name),
                                                     pacer.wake, pacer.listening, stop)),
                   asyncio.create_task(self.catch_up.run(stop)), asyncio.create_task(self.relay.run(stop)),
                   asyncio.create_task(watch_lag(self.consumer, stop))]
        try:
            recreated = topic_incarnation.Watch(self.ctx.redis, self.consumer)
            await self.consumer.supervise(
                lambda: consume(self.consumer, self.ctx.producer, self.handle, stop, concurrent=True, pacer=pacer,
                                recreated=recreated), stop)
        finally:
            stop.set()
            await asyncio.gather(*helpers)
            await self.consumer.stop()

    async def handle(self, batch: list[Delivery]) -> None:
        """One partition's batch: all from `orders.events` or all from `bridge.results`."""
        if batch[0].record.topic == BRIDGE_RESULTS.name:
            await self._isolating(self.bridge_results.handle)(batch)
        else:
            await self.catch_up.handle(batch)

    def _isolating(self, handle: Handler) -> Handler:
        """``handle``, except that a message making its batch fail for a reason other than a server being away is
        found by handling the batch one message at a time (everything is idempotent) and is dead-lettered."""

        async def isolating(batch: list[Delivery]) -> bool:
            try:
                return bool(await handle(batch))
            except TRANSIENT_ERRORS:
                raise
            except Exception as err:
                if len(batch) == 1:
                    log.exception("cannot handle %s", batch[0].envelope.event_id)
                    await dead_letter(self.ctx.producer, batch[0].record,
                                      f"settlement failed: {type(err).__name__}: {err}")
                    return False
                log.error("batch failed (%s: %s); handling its messages one by one", type(err).__name__, err)
                gap = False
                for delivery in batch:
                    gap = await isolating([delivery]) or gap
                return gap

        return isolating


async def main(ctx: ServiceContext) -> None:
    await SettlementService(ctx, ledger=AsyncLedger(ctx.redis)).run()
