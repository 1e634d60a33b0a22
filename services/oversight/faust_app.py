"""The faust app, fitted to the embedded broker (see the design brief's measured facts):

- faust hands aiokafka a fixed 1500 ms fetch wait, and this broker never wakes a waiting fetch, so every hop
  would cost ~750 ms: a small transport subclass sets the idle fetch wait (``fetch_idle_wait_ms``, 100 ms) on
  the worker consumer. Oversight is not on a latency-critical path, and each fetch of a quiet topic costs the
  broker CPU (at the 10 ms of the trading path, oversight's four topics kept ~15% of a core busy when idle);
  while events flow a fetch finds them waiting and returns at once;
- group joins are held for half the session timeout: short session, heartbeat and rebalance timeouts;
- no idempotent producer or transactions: no `exactly_once`; no web server; no tables (the state is the
  detectors' memory, rebuilt by reading the topics from the beginning at every start).
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from shared.settings import Settings


class _ShortWaitConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.app.fetch_max_wait_ms  # faust passes 1500 and offers no setting
        return consumer


class _ShortWaitConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ShortWaitConsumerThread:
        return _ShortWaitConsumerThread(self, loop=self.loop, beacon=self.beacon)


class ShortWaitTransport(faust_aiokafka.Transport):
    """aiokafka transport whose worker consumer waits at most the app's fetch wait."""

    Consumer = _ShortWaitConsumer


class OversightApp(faust.App):
    fetch_max_wait_ms: int = 10

    def _new_transport(self) -> ShortWaitTransport:
        return ShortWaitTransport(self.conf.broker_consumer, self)


def make_app(settings: Settings, *, app_id: str, client_id: str) -> OversightApp:
    """A faust app reading the event topics from their beginning under the group ``app_id``."""
    app = OversightApp(
        app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_client_id=client_id,
        broker_session_timeout=2,
        broker_heartbeat_interval=0.2,
        broker_rebalance_timeout=2,
        broker_request_timeout=10,
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        producer_max_batch_size=1,
        topic_allow_declare=False,
        topic_disable_leader=True,
        web_enabled=False,
        autodiscover=False,
    )
    app.fetch_max_wait_ms = settings.fetch_idle_wait_ms
    return app
