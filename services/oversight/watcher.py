"""What oversight does with each batch of records: the pure detectors judge its events once (`Judge`), then the
effects are made durable, a few round trips per batch (retried while Redis or the broker is away) — alerts recorded once and published, the corridor's action run
for a new breach (HALT: a phase command; BAND: a band override command, both to matching on
``orders.commands``), purchases counted, positions and corridor readings published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from fractions import Fraction

import orjson

from services.oversight import prometheus_metrics as metrics
from services.oversight.config import OversightSettings
from services.oversight.detectors import Owners, Surveillance
from services.oversight.detectors.corridor import watches_of
from services.oversight.detectors.surveillance import Context
from services.oversight.judge import Judge, Record
from services.oversight.redis_store import OversightStore, Purchase
from shared import oversight_keys as keys
from shared.corridor import CorridorAction, reference_price
from shared.kafka import TRANSIENT_ERRORS, dead_letter, publish
from shared.messages.operations import AlertRaised
from shared.messages.order_commands import ChangePhase, SetBandOverride
from shared.messages.post_trade import TradeSettled
from shared.messages.vocabulary import Phase
from shared.reference import Instrument, LinkageTerms
from shared import reference_store
from shared.reference_store import ReferenceStore
from shared.runtime import ServiceContext
from shared.topics import ORDERS_COMMANDS, OVERSIGHT_ALERTS

log = logging.getLogger(__name__)


class Watcher:
    def __init__(self, ctx: ServiceContext, store: OversightStore, surveillance: Surveillance,
                 config: OversightSettings) -> None:
        self._ctx = ctx
        self._config = config
        self._store = store
        self._reference = ReferenceStore(ctx.redis)
        self.judge = Judge(surveillance)
        self._instruments: dict[str, Instrument] = {}
        self._reference_version = -1
        self._refreshing = asyncio.Lock()  # the agents and the periodic reread: the last reread must be the newest
        self.progress: dict[str, int] = {}  # topic → latest business time judged, its effects durable
        self._progress_written: dict[str, int] = {}
        self._stamp: list | None = None  # what `refresh_if_changed` last saw of the keys a reread depends on

    @property
    def surveillance(self) -> Surveillance:
        return self.judge.surveillance

    async def _current_reference(self) -> None:
        """A trade is judged with the links and instruments as they are now, not as of the last periodic reread
        (a market listed or a corridor set a moment before its first trade)."""
        async with self._refreshing:
            if await self._reference.version() != self._reference_version:
                await self._reread()

    async def refresh_reference(self) -> None:
        """Reread ownership groups, links, instruments and thresholds; the next events are judged with them.

        One reread at a time, and no judging on a reread half done: two interleaved ones (an agent's and the
        periodic one) could finish in the wrong order, leaving the older reads in place under the newer version,
        so that a market listed a moment before its first trade stayed unknown until the next put."""
        async with self._refreshing:
            await self._reread()

    async def refresh_if_changed(self) -> None:
        """The periodic reread, only when a key it depends on changed since the last call (one `MGET` otherwise;
        a change during a reread shows in the next call's `MGET`); the judged progress written when it moved."""
        stamp = await self._ctx.redis.mget([reference_store.VERSION, keys.OWNERSHIP_VERSION, keys.THRESHOLDS,
                                            keys.OWNERSHIP_APPLIED])
        if stamp != self._stamp:
            await self.refresh_reference()
        elif self.progress != self._progress_written:
            await self._write_progress()
        self._stamp = stamp

    async def _write_progress(self) -> None:
        progress = dict(self.progress)
        await self._ctx.redis.hset(keys.PROGRESS, mapping=progress)
        self._progress_written = progress

    async def _reread(self) -> None:
        version_read = await self._reference.version()  # before the reads: a put meanwhile rereads again
        self.surveillance.thresholds = self._config.thresholds(await self._store.threshold_overrides())
        owners, version = await self._store.ownership()
        links = await self._reference.links()
        instruments = await self._reference.instruments()
        self._instruments = {i.id: i for i in instruments}
        self.surveillance.context = Context(owners=Owners(owners),
                                            caps={link.id: _quota(link) for link in links},
                                            watches=watches_of(links, instruments))
        self._reference_version = version_read
        await self._store.ownership_applied(version)
        if self.progress:
            await self._write_progress()

    async def handle(self, records: list[Record]) -> None:
        """Judge a batch of records (in their partitions' order), then make its effects durable: one reference check
        for the batch's trades, its alerts, one write of the corridor readings and one of the settled trades."""
        read = self.judge.read(records)
        for record, reason in read.malformed:
            await _durably(lambda: dead_letter(self._ctx.producer, record, reason))  # type: ignore[arg-type]
        if read.has_trades:
            await _durably(self._current_reference)
        verdicts = self.judge.judge(read.events)
        for alert in verdicts.alerts:
            await _durably(lambda: self._raise(alert))
        if verdicts.readings:
            await _durably(lambda: self._publish_readings(verdicts.readings))
        if verdicts.settled:
            await _durably(lambda: self._settled(verdicts.settled))
        for topic, at in read.latest.items():  # only now: the drill reads the alerts once judged past its close
            self.progress[topic] = max(self.progress.get(topic, 0), at)

    async def _publish_readings(self, instruments: list[str]) -> None:
        """The latest corridor readings of these markets, with their touch converted, in one round trip."""
        pipe = self._ctx.redis.pipeline(transaction=False)
        watches = self.surveillance.context.watches
        for instrument in instruments:
            bid, ask = self.judge.touch(instrument)
            for watch in watches.get(instrument, ()):
                reading = self.surveillance.corridor.readings.get((watch.link_id, instrument))
                if reading is None:
                    continue
                converted = {name: None if price is None else _decimal(reference_price(
                    watch.corridor, price=price, currency=watch.currency, unit_rate=watch.unit_rate))
                    for name, price in (("bid", bid), ("ask", ask))}
                pipe.hset(keys.corridor_readings(watch.link_id), instrument, orjson.dumps({
                    "instrument": instrument, "price": reading.price, "currency": watch.currency,
                    "reference_price": _decimal(reading.converted), "reference_bid": converted["bid"],
                    "reference_ask": converted["ask"], "breach": reading.breach, "at": reading.at}))
        if len(pipe):
            await pipe.execute()

    async def _settled(self, settled: list[tuple[TradeSettled, int]]) -> None:
        """Settled trades: count each buyer's purchase, republish both sides' positions (each once: a position is
        read as it stands now, so the batch's last trade on it decides)."""
        positions: dict[tuple[str, str], None] = {}
        for trade, _ in settled:
            positions[(trade.buy_account, trade.delivered_asset)] = None
            instrument = self._instruments.get(trade.instrument)
            if instrument is not None:
                positions[(trade.sell_account, instrument.unit_asset)] = None
        await self._store.record_settlements(
            [Purchase(trade.trade_id, trade.buy_account, trade.quantity, at) for trade, at in settled], list(positions))

    async def _raise(self, alert: AlertRaised) -> None:
        if not await self._store.record_alert(alert):
            return
        try:
            await publish(self._ctx.producer, OVERSIGHT_ALERTS.name, alert.subject, alert, event_id=alert.alert_id,
                          occurred_at=alert.raised_at, correlation_id=alert.evidence[0], wait=True)
            if alert.details.get("action") == CorridorAction.HALT:
                await self._halt(alert)
            elif alert.details.get("action") == CorridorAction.BAND:
                await self._narrow_band(alert)
        except BaseException:
            await self._store.forget_alert(alert.alert_id)
            raise
        metrics.alert_recorded(alert.code)
        log.warning("alert %s: %s", alert.alert_id, alert.summary)

    async def _halt(self, alert: AlertRaised) -> None:
        """The corridor's HALT: the market goes to the halt phase through the normal phase command."""
        await publish(self._ctx.producer, ORDERS_COMMANDS.name, alert.subject,
                      ChangePhase(instrument=alert.subject, phase=Phase.HALTED),
                      event_id=f"oversight-halt:{alert.alert_id}", occurred_at=alert.raised_at,
                      correlation_id=alert.alert_id, wait=True)

    async def _narrow_band(self, alert: AlertRaised) -> None:
        """The corridor's BAND: matching narrows the market's next sessions' band to the corridor (intersected
        with any override it holds; pinned at the breached limit when they share no price)."""
        await publish(self._ctx.producer, ORDERS_COMMANDS.name, alert.subject,
                      SetBandOverride(instrument=alert.subject, low=int(alert.details["band_low"]),
                                      high=int(alert.details["band_high"]),
                                      reason=f"corridor of link {alert.details['link_id']}",
                                      pin="LOW" if alert.details["breach"] == "BELOW_FLOOR" else "HIGH"),
                      event_id=f"oversight-band:{alert.alert_id}", occurred_at=alert.raised_at,
                      correlation_id=alert.alert_id, wait=True)


def _quota(link: LinkageTerms) -> int | None:
    """A link's quota for a period: its cap per direction times the directions it opens."""
    return None if link.caps.per_period is None else link.caps.per_period * len(link.directions())


def _decimal(value: Fraction | None) -> str | None:
    """A converted price in reference minor units, as a decimal string with two places."""
    return None if value is None else f"{float(value):.2f}"


async def _durably(effect: Callable[[], Awaitable[object]]) -> None:
    """Run ``effect`` until the servers it needs answer (effects are idempotent, so a retry is safe)."""
    backoff = 0.2
    while True:
        try:
            await effect()
            return
        except TRANSIENT_ERRORS as err:
            log.error("server unavailable, retrying in %.1fs: %s", backoff, err)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
