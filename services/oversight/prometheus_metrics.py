"""Oversight's Prometheus instruments: events judged per watched topic, alerts recorded per code, and the lag of
what the detectors have judged (``shared.prometheus_metrics.watch_lag`` over ``JudgedLag``)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from services.oversight.detectors.observed import ALERT_CODES
from services.oversight.judge import Record
from shared.topics import BRIDGE_AUDIT, MARKET_DATA, ORDERS_EVENTS, SETTLEMENT_EVENTS

EVENTS = Counter("carbonlink_oversight_events", "events the detectors judged, per topic (every start reads the "
                 "topics again from their beginning)", ["topic"])
ALERTS = Counter("carbonlink_oversight_alerts", "alerts recorded for the first time, per code", ["code"])

_events = {topic.name: EVENTS.labels(topic.name) for topic in (ORDERS_EVENTS, MARKET_DATA, SETTLEMENT_EVENTS,
                                                               BRIDGE_AUDIT)}
_alerts = {code: ALERTS.labels(code) for code in ALERT_CODES}


def alert_recorded(code: str) -> None:
    _alerts[code].inc()


class JudgedLag:
    """The lag of the detectors rather than of the fetcher (faust fetches ahead of its agents): the faust app's
    consumer gives the assignment and the high watermark, the position is the offset after the last record judged. Every
    start reads from offset 0, so a partition with nothing judged yet is at 0."""

    def __init__(self, app) -> None:
        self._app = app  # its consumer exists once the app has started
        self._positions: dict[tuple[str, int], int] = {}

    def judged(self, records: Sequence[Record]) -> None:
        counts: dict[str, int] = {}
        for record in records:
            self._positions[(record.topic, record.partition)] = record.offset + 1
            counts[record.topic] = counts.get(record.topic, 0) + 1
        for topic, count in counts.items():
            _events[topic].inc(count)

    def assignment(self):
        return self._app.consumer.assignment()

    def highwater(self, tp) -> int | None:
        return self._app.consumer.highwater(tp)

    async def position(self, tp) -> int:
        return self._positions.get((tp.topic, tp.partition), 0)
