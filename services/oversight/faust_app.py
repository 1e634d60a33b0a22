"""The faust app, fitted to the embedded broker (see the design brief's measured facts):

- faust hands aiokafka a fixed 1500 ms fetch wait, and this broker never wakes a waiting fetch, so every hop
  would cost ~750 ms: a small transport subclass paces the worker consumer's wait like the other services'
  consumers (``shared.fetch_pacer.FetchPacer``: the short wait while events flow, longer while the topics are quiet,
  none at all after a quiet spell while wake-up pokes reach the app, see `OversightApp.wake`), so an idle
  oversight does not keep the broker busy;
- group joins are held for half the session timeout: short session and rebalance timeouts (3 s: a join held
  1.5 s); a heartbeat a second, a third of the session (at 0.2 s the heartbeats were most of an idle worker's
  cost at the broker);
- no idempotent producer or transactions: no `exactly_once`; no web server; no tables (the state is the
  detectors' memory, rebuilt by reading the topics from the beginning at every start).
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from shared.fetch_pacer import FetchPacer
from shared.settings import Settings


class _ShortWaitConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """The worker consumer runs in this thread's own event loop: its pacer is only ever called there."""

    _pacer: FetchPacer | None = None

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.app.fetch_max_wait_ms  # faust passes 1500 and offers no setting
        self._pacer = FetchPacer(consumer, busy_ms=self.app.fetch_max_wait_ms, idle_ms=self.app.fetch_idle_wait_ms,
                                 doze_after_ms=self.app.fetch_doze_after_ms, doze_ms=self.app.fetch_doze_ms)
        return consumer

    async def _fetch_records(self, consumer: Any, active_partitions: Any, timeout: float | None = None,
                             max_records: int | None = None) -> Any:
        records = await super()._fetch_records(consumer, active_partitions, timeout=timeout, max_records=max_records)
        if self._pacer is not None:
            self._pacer.listening(self.app.pokes_heard)
            self._pacer.fetched(bool(records))
        return records

    def wake(self) -> None:
        """From any thread: a poke for the worker consumer's pacer."""
        if self._pacer is not None:
            self.thread_loop.call_soon_threadsafe(self._pacer.wake)


class _ShortWaitConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ShortWaitConsumerThread:
        return _ShortWaitConsumerThread(self, loop=self.loop, beacon=self.beacon)


class ShortWaitTransport(faust_aiokafka.Transport):
    """aiokafka transport whose worker consumer's fetch wait is paced between the configured busy and idle waits."""

    Consumer = _ShortWaitConsumer


class OversightApp(faust.App):
    fetch_max_wait_ms: int = 10
    fetch_idle_wait_ms: int = 100
    fetch_doze_after_ms: int = 0
    fetch_doze_ms: int = 3_000
    #: whether wake-up pokes reach the app (``shared.wakeup.listen``): the worker consumer dozes only then
    pokes_heard: bool = False

    def wake(self) -> None:
        """A poke on a watched topic: wake the worker consumer if it dozes."""
        thread = getattr(self.consumer, "_thread", None) if self.started else None
        if isinstance(thread, _ShortWaitConsumerThread):
            thread.wake()

    def hearing_pokes(self, subscribed: bool) -> None:
        self.pokes_heard = subscribed
        if not subscribed:
            self.wake()

    def _new_transport(self) -> ShortWaitTransport:
        return ShortWaitTransport(self.conf.broker_consumer, self)


def make_app(settings: Settings, *, app_id: str, client_id: str) -> OversightApp:
    """A faust app reading the event topics from their beginning under the group ``app_id``."""
    app = OversightApp(
        app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_client_id=client_id,
        broker_session_timeout=3,
        broker_heartbeat_interval=1.0,
        broker_rebalance_timeout=3,
        broker_request_timeout=10,
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        producer_max_batch_size=1,
        topic_allow_declare=False,
        topic_disable_leader=True,
        web_enabled=False,
        autodiscover=False,
    )
    app.fetch_max_wait_ms = settings.fetch_max_wait_ms
    app.fetch_idle_wait_ms = settings.fetch_idle_wait_ms
    app.fetch_doze_after_ms = settings.fetch_doze_after_ms
    app.fetch_doze_ms = settings.fetch_doze_ms
    return app
