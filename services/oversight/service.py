"""The oversight service: a faust app with one agent reading every watched topic, handing batches to one `Watcher`.

Its state is the detectors' memory. Every start joins a fresh consumer group and reads the topics from their
beginning, so the state is rebuilt from the topics; what was already recorded (alerts by id, purchases by
trade) is not recorded, published or acted on twice. One instance reads every partition: the detectors join
events across instruments (a corridor spans markets, a round trip crosses a link).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from services.oversight.config import OversightSettings
from services.oversight.detectors import Surveillance
from services.oversight.faust_app import make_app
from services.oversight.prometheus_metrics import JudgedLag
from services.oversight.redis_store import OversightStore
from services.oversight.judge import Record
from services.oversight.watcher import Watcher
from shared import wakeup
from shared.kafka import TRANSIENT_ERRORS
from shared.prometheus_metrics import watch_lag
from shared.runtime import ServiceContext
from shared.topics import BRIDGE_AUDIT, MARKET_DATA, ORDERS_EVENTS, SETTLEMENT_EVENTS

log = logging.getLogger(__name__)

WATCHED = (ORDERS_EVENTS, MARKET_DATA, SETTLEMENT_EVENTS, BRIDGE_AUDIT)
#: A batch is handed to the watcher when this many records are in, or this long after the previous one: the
#: per-record costs (a reference check per trade, a round trip per settled trade, faust's per-event acking in the
#: agent) become per-batch costs. Oversight is off the order path: the wait only delays alerts and readings
#: (an idle take loop wakes 1/within times a second: at 0.05 s that cost half a percent of a core).
BATCH_MAX = 1000
BATCH_WITHIN_S = 0.2


class OversightService:
    def __init__(self, ctx: ServiceContext, config: OversightSettings) -> None:
        self.ctx = ctx
        self.config = config
        self.watcher = Watcher(ctx, OversightStore(ctx.redis), Surveillance(config.thresholds()), config)

    async def run(self) -> None:
        """Run until ``ctx.stop`` is set."""
        ctx, watcher = self.ctx, self.watcher
        await _until_loaded(watcher, ctx)
        app = make_app(ctx.settings, app_id=f"oversight-{uuid.uuid4().hex[:12]}", client_id=ctx.instance)
        judged = JudgedLag(app)

        async def watch(stream) -> None:
            async for events in stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S):
                records = [Record(m.topic, m.partition, m.offset, m.value or b"", int(m.timestamp * 1000),
                                  list(m.headers or ())) for m in (event.message for event in events)]
                await watcher.handle(records)
                judged.judged(records)

        channel = app.topic(*(topic.name for topic in WATCHED), key_serializer="raw", value_serializer="raw")
        app.agent(channel, name="oversight.watch")(watch)
        refresher = asyncio.create_task(_refresh(watcher, ctx, self.config.reference_refresh_s))
        await app.start()
        lag = asyncio.create_task(watch_lag(judged, ctx.stop))
        pokes = asyncio.create_task(wakeup.listen(ctx.redis, [topic.name for topic in WATCHED], app.wake,
                                                  app.hearing_pokes, ctx.stop))
        try:
            await _until_consuming(app, ctx)
            await ctx.stop.wait()
        finally:
            lag.cancel()
            pokes.cancel()
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            await app.stop()


async def main(ctx: ServiceContext) -> None:
    await OversightService(ctx, OversightSettings()).run()


async def _until_consuming(app, ctx: ServiceContext) -> None:
    """Ready once the worker holds its partitions and no rebalance is under way."""
    while not ctx.stop.is_set():
        if app.consumer.assignment() and not app.rebalancing:
            ctx.mark_ready()
            return
        await asyncio.sleep(0.1)


async def _until_loaded(watcher: Watcher, ctx: ServiceContext) -> None:
    """The reference data the replay judges with, before the first event is read."""
    while not ctx.stop.is_set():
        try:
            await watcher.refresh_reference()
            return
        except TRANSIENT_ERRORS as err:
            log.error("redis unavailable, retrying: %s", err)
            await asyncio.sleep(0.5)


async def _refresh(watcher: Watcher, ctx: ServiceContext, interval_s: float) -> None:
    while not ctx.stop.is_set():
        await asyncio.sleep(interval_s)
        try:
            await watcher.refresh_if_changed()
        except TRANSIENT_ERRORS as err:
            log.error("redis unavailable while rereading reference data: %s", err)
