"""What every service's Prometheus metrics share: the HTTP server on the process's metrics port, consumer lag
per partition, and the buckets of the latency histograms.

Each service declares its own instruments in its ``prometheus_metrics.py``, at import, in the default registry
(with the process collector's CPU, memory and file descriptors). Hot paths only increment a child bound once
(``.labels(...)`` takes a lock and builds a key, so it is called once per label value, never per event).

Consumer lag is read from the consumer's own view: the high watermark of the last fetch response minus the
position. Measured on the embedded broker (Tansu 0.6.0): a fetch response's high watermark is exact, while a
ListOffsets request (``end_offsets``, what ``kafka-consumer-groups``-style tools use) answers the last batch's
first offset + 1, which under-counts a lag by the last batch's size minus one; so lag is never computed from
end offsets here.
"""

from __future__ import annotations

import asyncio
import logging
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator
from typing import Protocol

from prometheus_client import REGISTRY, Gauge, disable_created_metrics, start_http_server
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from shared.settings import Settings

log = logging.getLogger(__name__)

#: Seconds, from 1 ms to a minute: the range the benchmarks report, queueing included (docs/performance.md).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

CONSUMER_LAG = Gauge("carbonlink_consumer_lag_records",
                     "records in the partition past the consumer's position (high watermark of its last fetch "
                     "minus its position), per assigned partition", ["topic", "partition"])


class LoopHistogram:
    """A histogram observed from the event loop's thread only, a batch of values at a time, without locks.

    The client's ``Histogram.observe`` takes two locks and walks the buckets per value: ~7 µs on the loaded
    development machine, more than the matching core spends on a command. Here a value costs a bisection and an
    integer increment; a scrape (in the server's thread) copies the counts, so at worst it sees a batch's counts
    without its sum, which the next scrape makes good.
    """

    def __init__(self, name: str, documentation: str, buckets: Iterable[float] = LATENCY_BUCKETS) -> None:
        self.name = name
        self.documentation = documentation
        self._bounds = list(buckets)
        self._counts = [0] * (len(self._bounds) + 1)
        self._sum = 0.0
        REGISTRY.register(self)

    def observe_many(self, values: Iterable[float]) -> None:
        counts, bounds, total = self._counts, self._bounds, 0.0
        for value in values:
            counts[bisect_left(bounds, value)] += 1
            total += value
        self._sum += total

    def collect(self) -> Iterator[HistogramMetricFamily]:
        counts, running, buckets = list(self._counts), 0, []
        for bound, count in zip([*map(floatToGoString, self._bounds), "+Inf"], counts):
            running += count
            buckets.append((bound, running))
        yield HistogramMetricFamily(self.name, self.documentation, buckets=buckets, sum_value=self._sum)


def serve(settings: Settings, component: str) -> Callable[[], None] | None:
    """Serve the default registry on ``component``'s metrics port, in a thread; the function that stops it.
    A port that cannot be bound is logged and the service runs on without metrics."""
    port = settings.metrics_port(component)
    disable_created_metrics()  # the `_created` series double the count and say only when the process started
    try:
        server, thread = start_http_server(port, addr=settings.metrics_host)
    except OSError as err:
        log.error("metrics not served: cannot bind %s:%s: %s", settings.metrics_host, port, err)
        return None
    log.info("metrics on http://%s:%s/metrics", settings.metrics_host, port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2.0)

    return stop


class LagSource(Protocol):
    """What lag is read from: an aiokafka consumer, or anything that answers the same three questions."""

    def assignment(self) -> Iterable: ...

    def highwater(self, tp) -> int | None: ...

    def position(self, tp) -> Awaitable[int | None]: ...


async def watch_lag(source: LagSource, stop: asyncio.Event, *, interval_s: float = 1.0) -> None:
    """Set ``CONSUMER_LAG`` for every partition ``source`` holds, every ``interval_s``, until ``stop``; drop the
    partitions it gave up. A partition not fetched yet (no high watermark) or without a position is left out."""
    shown: set[tuple[str, str]] = set()
    while not stop.is_set():
        now: set[tuple[str, str]] = set()
        for tp in list(source.assignment()):
            lag = await _lag(source, tp)
            if lag is not None:
                labels = (tp.topic, str(tp.partition))
                CONSUMER_LAG.labels(*labels).set(lag)
                now.add(labels)
        for labels in shown - now:
            CONSUMER_LAG.remove(*labels)
        shown = now
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass
    for labels in shown:
        CONSUMER_LAG.remove(*labels)


async def _lag(source: LagSource, tp: Hashable) -> int | None:
    try:
        highwater = source.highwater(tp)
        position = None if highwater is None else await asyncio.wait_for(source.position(tp), timeout=0.5)
    except Exception:  # unassigned meanwhile, or no position yet (being reset): not shown this round
        return None
    return None if position is None else max(0, highwater - position)
