"""The bridge service: consumes ``bridge.requests`` and ``bridge.commands`` (group "bridge"), decides each request
in order, executes operators' link commands, and re-judges parked requests when their settlement window opens.

Per partition batch: decide every request (the ledger entry, decision record and audit are durable in Redis),
flush the producer so the decisions reached the broker, then commit. A redelivered request is answered from
its decision record. A request that names no valid delivery is dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from services.bridge import link_operations
from services.bridge import prometheus_metrics as metrics
from services.bridge.decisions import Bridge
from services.bridge.redis_usage import RedisUsageReader
from shared import topic_incarnation, wakeup
from shared.consumer_watchdog import WatchedConsumer
from shared.fetch_pacer import FetchPacer
from shared.kafka import TRANSIENT_ERRORS, Delivery, consume, dead_letter, make_consumer
from shared.ledger import AsyncLedger
from shared.business_clock import business_now
from shared.messages.link_commands import ResumeLink, SuspendLink, TerminateLink
from shared.messages.post_trade import DeliveryRequested
from shared.prometheus_metrics import watch_lag
from shared.runtime import ServiceContext
from shared.topics import BRIDGE_COMMANDS, BRIDGE_REQUESTS

log = logging.getLogger(__name__)

TIMER_INTERVAL_S = 0.5


async def main(
    ctx: ServiceContext, *, clock: Callable[[], int] | None = None, group_id: str = "bridge"
) -> None:
    """Run until ``ctx.stop`` is set; ``clock`` tells the timer when parked requests are due (default: the
    exchange's business clock, ``shared.business_clock``)."""
    bridge = Bridge(ctx.redis, ctx.producer, ledger=AsyncLedger(ctx.redis), usage=RedisUsageReader(ctx.redis))
    consumer = WatchedConsumer(lambda: make_consumer(ctx.settings, group_id=group_id, client_id=ctx.instance),
                               ctx.redis, ctx)
    consumer.subscribe([BRIDGE_REQUESTS.name, BRIDGE_COMMANDS.name])

    async def handle(deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            if isinstance(delivery.message, SuspendLink | ResumeLink | TerminateLink):
                await link_operations.execute(ctx.redis, ctx.producer, delivery.message, bridge=bridge,
                                              command_id=delivery.envelope.event_id, at=delivery.envelope.occurred_at)
                continue
            if not isinstance(delivery.message, DeliveryRequested):
                await dead_letter(ctx.producer, delivery.record, f"{delivery.envelope.type} is not a bridge request")
                continue
            try:
                metrics.decided(await bridge.handle(delivery.message))
            except ValueError as err:
                await dead_letter(ctx.producer, delivery.record, f"not a valid delivery: {err}")
        await ctx.producer.flush()

    if not await consumer.start(ctx.stop):
        return
    timer = asyncio.create_task(_timer(bridge, ctx, clock))
    lag = asyncio.create_task(watch_lag(consumer, ctx.stop))
    pacer = FetchPacer.of(consumer, ctx.settings)
    pokes = asyncio.create_task(wakeup.listen(ctx.redis, (BRIDGE_REQUESTS.name, BRIDGE_COMMANDS.name), pacer.wake,
                                              pacer.listening, ctx.stop))
    try:
        recreated = topic_incarnation.Watch(ctx.redis, consumer)
        await consumer.supervise(
            lambda: consume(consumer, ctx.producer, handle, ctx.stop, pacer=pacer, recreated=recreated), ctx.stop)
    finally:
        ctx.stop.set()
        await asyncio.gather(timer, lag, pokes)
        await consumer.stop()


async def _timer(bridge: Bridge, ctx: ServiceContext, clock: Callable[[], int] | None) -> None:
    while not ctx.stop.is_set():
        try:
            now = clock() if clock is not None else await business_now(ctx.redis)
            outcomes = await bridge.run_due(now=now)
            for outcome in outcomes:
                metrics.decided(outcome)
            if outcomes:
                await ctx.producer.flush()
        except TRANSIENT_ERRORS as err:
            log.error("server unavailable while re-judging parked requests: %s", err)
        except ValueError as err:
            log.error("a parked request could not be judged: %s", err)
        try:
            await asyncio.wait_for(ctx.stop.wait(), timeout=TIMER_INTERVAL_S)
        except TimeoutError:
            pass
