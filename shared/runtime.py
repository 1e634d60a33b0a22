"""The process shell every service runs in: settings, logging, Redis and Kafka clients, heartbeat, clean shutdown.

A service provides `main(ctx)`, which runs until `ctx.stop` is set (SIGTERM or SIGINT); the runtime then
flushes the producer and closes the clients. No connection is opened at import time. The process serves its
Prometheus metrics on its metrics port (``shared.prometheus_metrics``). The heartbeat (every
``heartbeat_interval_s``, and at once when readiness changes, so `stack up` need not wait for the next) says whether
the service is `ready`: it calls `ctx.mark_ready()` once its consumer has its assignment and has fetched, and
`ctx.mark_not_ready(reason)` when it stops consuming (`shared.consumer_watchdog`), so a restarted service — or
one whose consumer lost its group to a broker restart — is reported healthy only when it consumes, not merely
when its process is up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from shared.kafka import make_producer, publish
from shared.logs import configure_logging
from shared.messages.operations import ServiceHeartbeat
from shared.prometheus_metrics import serve as serve_metrics
from shared.redis_health import health_key
from shared.redis_packing import fast_packing
from shared.settings import Settings, load_settings
from shared.topics import SERVICE_HEARTBEATS

log = logging.getLogger(__name__)


@dataclass
class ServiceContext:
    name: str
    instance: str
    settings: Settings
    redis: aioredis.Redis
    producer: AIOKafkaProducer
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    kafka_ok: bool = False
    redis_ok: bool = False
    ready: bool = False
    beat_now: asyncio.Event = field(default_factory=asyncio.Event)  # a change to say before the next beat is due

    def mark_ready(self) -> None:
        """The service consumes: its consumer has its assignment and a fetch came back."""
        if not self.ready:
            log.info("%s ready: consuming", self.instance)
            self.beat_now.set()
        self.ready = True

    def mark_not_ready(self, reason: str) -> None:
        """The service does not consume (see `shared.consumer_watchdog`): its heartbeat says not ready."""
        if self.ready:
            log.warning("%s not ready: %s", self.instance, reason)
            self.beat_now.set()
        self.ready = False


def business_now_ms() -> int:
    """Wall-clock time for adapters that stamp business time on what they receive; cores never call this."""
    return time.time_ns() // 1_000_000


async def _heartbeat(ctx: ServiceContext) -> None:
    while not ctx.stop.is_set():
        try:
            await asyncio.wait_for(
                publish(ctx.producer, SERVICE_HEARTBEATS.name, ctx.name,
                        ServiceHeartbeat(service=ctx.name, instance=ctx.instance, pid=os.getpid()),
                        event_id=f"hb:{ctx.instance}:{time.time_ns()}", occurred_at=business_now_ms(), wait=True),
                timeout=2.0,
            )
            if not ctx.kafka_ok:
                log.info("broker reachable")
            ctx.kafka_ok = True
        except Exception as err:  # any failure means "broker unhealthy"; the loop must survive it
            if ctx.kafka_ok:
                log.error("broker unreachable: %s", err)
            ctx.kafka_ok = False
        try:
            beat = {"service": ctx.name, "instance": ctx.instance, "pid": os.getpid(), "at": time.time(),
                    "kafka_ok": ctx.kafka_ok, "ready": ctx.ready}
            await asyncio.wait_for(
                ctx.redis.hset(health_key(ctx.name), ctx.instance, orjson.dumps(beat)),
                timeout=2.0,
            )
            if not ctx.redis_ok:
                log.info("redis reachable")
            ctx.redis_ok = True
        except Exception as err:
            if ctx.redis_ok:
                log.error("redis unreachable: %s", err)
            ctx.redis_ok = False
        try:
            await asyncio.wait_for(ctx.beat_now.wait(), timeout=ctx.settings.heartbeat_interval_s)
        except TimeoutError:
            pass
        ctx.beat_now.clear()


async def _start_producer(ctx: ServiceContext) -> None:
    """The broker may not be up yet (or may restart): keep trying until it answers or we are told to stop."""
    delay = 0.2
    while not ctx.stop.is_set():
        try:
            await ctx.producer.start()
            ctx.kafka_ok = True
            return
        except Exception as err:
            log.error("broker not reachable at %s, retrying: %s", ctx.settings.kafka_bootstrap, err)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def run(name: str, main: Callable[[ServiceContext], Awaitable[None]], *, settings: Settings | None = None) -> None:
    settings = settings or load_settings()
    instance = os.environ.get("CARBONLINK_INSTANCE", f"{name}@{socket.gethostname()}:{os.getpid()}")
    ctx = ServiceContext(
        name=name, instance=instance, settings=settings,
        redis=fast_packing(aioredis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2,
                                                   health_check_interval=10, retry_on_timeout=True)),
        producer=make_producer(settings, client_id=instance, service=name),
    )
    ctx.producer.pokes = ctx.redis  # every send wakes the topic's dozing consumers (shared.wakeup)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, ctx.stop.set)
    stop_metrics = serve_metrics(settings, instance if instance.split("-")[0] == name else name)
    await _start_producer(ctx)
    heartbeat = asyncio.create_task(_heartbeat(ctx))
    log.info("%s started (pid %s)", instance, os.getpid())
    try:
        await main(ctx)
    finally:
        ctx.stop.set()
        ctx.beat_now.set()
        await heartbeat
        try:
            await asyncio.wait_for(ctx.producer.stop(), timeout=5.0)
        except Exception as err:
            log.error("producer did not flush cleanly: %s", err)
        try:
            await ctx.redis.hdel(health_key(ctx.name), ctx.instance)
        except Exception:
            pass
        await ctx.redis.aclose()
        if stop_metrics is not None:
            stop_metrics()
        log.info("%s stopped", instance)


def main_entry(name: str, main: Callable[[ServiceContext], Awaitable[None]]) -> None:
    """`python -m services.<name>` entry: configure logging and run until SIGTERM, on uvloop where installed
    (its event loop costs a fraction of asyncio's per socket read and write)."""
    configure_logging(name)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(run(name, main))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
