"""Kafka helpers tuned to what both brokers support: no idempotent producer, no transactions, manual commits.

Consumers commit only after the effect is durable, and every message that does not parse, or does not belong on
its topic (``shared.topics``: its type, and the service its producer stamped in the ``producer`` header), goes to
the dead-letter topic with the reason while the consumer keeps going.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
import orjson
from pydantic import ValidationError, create_model
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared import topic_incarnation, wakeup
from shared.envelope import Envelope, decode, encode
from shared.fetch_pacer import FetchPacer
from shared.messages import MESSAGE_TYPES, UnknownMessageType, envelope_for, payload_of
from shared.messages.operations import DeadLettered
from shared.messages.vocabulary import Message
from shared.settings import Settings
from shared.topics import ALL_TOPICS, DEADLETTER, misrouted, partitions_for

log = logging.getLogger(__name__)

#: Errors that mean "a server is away": retry the batch later, never dead-letter it.
TRANSIENT_ERRORS = (KafkaError, RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


#: aiokafka sends one record batch per partition per request and keeps one request in flight per broker, so the
#: batch size caps what one round trip can carry: 16 KiB (its default) made a busy partition wait for ~40 events
#: per round trip. Both brokers take 4 MiB requests; a batch stays under the consumers' 1 MiB partition fetch.
MAX_BATCH_BYTES = 512 * 1024


#: How long aiokafka's background fetch routine sleeps when nothing wakes it (its default, 200 ms, was five of an
#: idle consumer's wake-ups a second): fetch answers, consumed records, seeks, resumed partitions and rebalances
#: wake it at once anyway.
IDLE_FETCHER_TIMEOUT_MS = 1000


#: Topics no service consumes: nobody to wake.
_UNCONSUMED = frozenset(topic.name for topic in ALL_TOPICS if not topic.consumers)


#: The record header naming the service that produced a message.
PRODUCER_HEADER = "producer"


class ServiceProducer(AIOKafkaProducer):
    """A producer that stamps every message it sends with its service's name (record batches built by hand take
    ``headers`` themselves). Given a Redis client (`pokes`), it pokes the consumers of a topic it sent to
    (``shared.wakeup``) once the broker has the message, at most once per `wakeup.EVERY_S` per topic; a topic no
    service consumes (heartbeats, dead letters) is not poked."""

    def __init__(self, *, service: str, **config) -> None:
        super().__init__(**config)
        self.service = service
        self.headers: list[tuple[str, bytes]] = [(PRODUCER_HEADER, service.encode())]
        self.pokes: aioredis.Redis | None = None
        self._poking: set[asyncio.Task] = set()

    async def send(self, topic, value=None, key=None, partition=None, timestamp_ms=None, headers=None):
        sent = await super().send(topic, value, key, partition, timestamp_ms, [*self.headers, *(headers or ())])
        if self.pokes is not None and topic not in _UNCONSUMED and wakeup.due((topic,)):
            task = asyncio.ensure_future(self._poke_when_sent(sent, topic))
            self._poking.add(task)
            task.add_done_callback(self._poking.discard)
        return sent

    async def _poke_when_sent(self, sent: asyncio.Future, topic: str) -> None:
        try:
            await sent
            await self.pokes.publish(wakeup.channel(topic), b"")
        except Exception as err:  # a lost poke costs a dozing consumer at most its check interval
            log.debug("no wake-up poke for %s: %s", topic, err)


def make_producer(settings: Settings, *, client_id: str, service: str) -> ServiceProducer:
    """``service`` is stamped on every message: consumers refuse a message from a service not among its topic's
    producers. Acks from every replica. No linger: while one request is in flight, whatever is sent meanwhile (e.g. by
    concurrent HTTP requests) waits for it and goes out together in the next request, sharing one ack; lingering
    only added its delay to every send (measured: serial send-and-wait p50 0.7 ms without, 2 ms with 1 ms)."""
    return ServiceProducer(
        service=service, bootstrap_servers=settings.kafka_bootstrap, client_id=client_id, acks="all",
        enable_idempotence=False, linger_ms=0, request_timeout_ms=10_000,
        max_batch_size=MAX_BATCH_BYTES, max_request_size=4 * 1024 * 1024,
    )


def make_consumer(settings: Settings, *topics: str, group_id: str | None, client_id: str) -> AIOKafkaConsumer:
    """A group member heartbeats every 2 s, a third of its session: it learns of a rebalance at its next heartbeat,
    within the 3 s the embedded broker holds a join anyway; a heartbeat is most of what an idle member costs it."""
    return AIOKafkaConsumer(
        *topics, bootstrap_servers=settings.kafka_bootstrap, group_id=group_id, client_id=client_id,
        enable_auto_commit=False, auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms, max_poll_records=1000,
        session_timeout_ms=6000, heartbeat_interval_ms=2000, rebalance_timeout_ms=6000,
        consumer_timeout_ms=IDLE_FETCHER_TIMEOUT_MS,
    )


async def create_topics(settings: Settings) -> list[str]:
    """Create every catalogued topic that is missing (the embedded broker would auto-create with 4 partitions)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(topic.name, partitions_for(topic, settings.default_partitions), 1)
            for topic in ALL_TOPICS if topic.name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
        return [topic.name for topic in wanted]
    finally:
        await admin.close()


@dataclass(frozen=True, slots=True)
class Delivery:
    """One parsed message with where it came from."""

    record: ConsumerRecord
    envelope: Envelope
    message: Message


async def publish(producer: AIOKafkaProducer, topic: str, key: str, message: Message, *, event_id: str,
                  occurred_at: int, correlation_id: str = "", wait: bool = False) -> None:
    """Queue one message (or, with `wait`, until the broker acknowledged it)."""
    envelope = envelope_for(message, event_id=event_id, occurred_at=occurred_at, correlation_id=correlation_id)
    if wait:
        await producer.send_and_wait(topic, encode(envelope), key=key.encode())
    else:
        await producer.send(topic, encode(envelope), key=key.encode())


async def dead_letter(producer: AIOKafkaProducer, record: ConsumerRecord, reason: str) -> None:
    raw = record.value.decode("utf-8", errors="replace") if record.value is not None else ""
    letter = DeadLettered(
        source_topic=record.topic, partition=record.partition, offset=record.offset, reason=reason[:2000],
        raw=raw[:100_000],
    )
    log.warning("dead-lettered %s[%s]@%s: %s", record.topic, record.partition, record.offset, reason[:200])
    await publish(producer, DEADLETTER.name, record.topic, letter,
                  event_id=f"dlq:{record.topic}:{record.partition}:{record.offset}", occurred_at=record.timestamp)


def producer_of(record: ConsumerRecord) -> str:
    """The service stamped in the record's ``producer`` header ("" when there is none)."""
    for name, value in record.headers or ():
        if name == PRODUCER_HEADER:
            return value.decode("utf-8", errors="replace") if value is not None else ""
    return ""


#: Per message type, an envelope model whose payload is that type's model: one validation pass for both.
_TYPED_ENVELOPES: dict[str, type[Envelope]] = {}


def _typed_envelope(kind: str) -> type[Envelope] | None:
    model = _TYPED_ENVELOPES.get(kind)
    if model is None and kind in MESSAGE_TYPES:
        model = _TYPED_ENVELOPES[kind] = create_model(f"{kind}Envelope", __base__=Envelope,
                                                      payload=(MESSAGE_TYPES[kind], ...))
    return model


def parse(record: ConsumerRecord) -> Delivery | str:
    """The parsed delivery, or the reason it does not parse or does not belong on its topic.

    A well-formed message is validated once, envelope and payload together (its envelope's `payload` is then the
    typed message); anything else takes the two-step path below, which names what is wrong with it."""
    try:
        data = orjson.loads(record.value or b"")
        model = _typed_envelope(data.get("type")) if type(data) is dict and type(data.get("type")) is str else None
        if model is not None:
            typed = model.model_validate(data)
            if misrouted(record.topic, typed.type, producer_of(record)) is None:
                return Delivery(record, typed, typed.payload)
    except (ValidationError, ValueError):
        pass
    try:
        envelope = decode(record.value or b"")
        wrong = misrouted(record.topic, envelope.type, producer_of(record))
        if wrong is not None:
            return wrong
        return Delivery(record, envelope, payload_of(envelope))
    except ValidationError as err:
        return f"invalid message: {err.error_count()} error(s): {err.errors(include_url=False)[:3]}"
    except UnknownMessageType as err:
        return str(err)
    except ValueError as err:
        return f"not JSON: {err}"


BatchHandler = Callable[[list[Delivery]], Awaitable[None]]


async def consume(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, handle: BatchHandler,
                  stop: asyncio.Event, *, max_records: int = 1000, concurrent: bool = False,
                  pacer: FetchPacer | None = None,
                  recreated: topic_incarnation.Watch | None = None) -> None:
    """Fetch, dead-letter what does not parse, hand the rest to `handle` per partition batch, then commit.
    `consumer` is usually a `shared.consumer_watchdog.WatchedConsumer` (which also keeps the service's readiness);
    `pacer` (a `FetchPacer`) lengthens the fetch wait while the topics are quiet; `recreated` (a
    `topic_incarnation.Watch`) reads a topic recreated by a broker restart from its start, dropping what was
    just fetched from it at the old position.

    With `concurrent`, the partition batches of one fetch are handled at the same time (for handlers whose
    partitions share no state that a batch reads before it writes).

    A transient error (Redis or the broker away) leaves the batch uncommitted, waits and seeks back so
    the batch is redelivered: the handlers are idempotent, so a retry is safe.
    """
    while not stop.is_set():
        try:
            batches = await consumer.getmany(timeout_ms=pacer.timeout_ms(100) if pacer else 100,
                                             max_records=max_records)
        except KafkaError as err:
            log.error("fetch failed, retrying: %s", err)
            await asyncio.sleep(0.2)
            continue
        if pacer is not None:
            pacer.fetched(bool(batches))
        if recreated is not None and batches:
            batches = await _unless_recreated(consumer, recreated, batches)
        if concurrent:
            await asyncio.gather(*(_handle_and_commit(consumer, producer, handle, tp, records, stop)
                                   for tp, records in batches.items()))
        else:
            for tp, records in batches.items():
                await _handle_and_commit(consumer, producer, handle, tp, records, stop)


async def _unless_recreated(consumer: AIOKafkaConsumer, recreated: topic_incarnation.Watch,
                            batches: dict) -> dict:
    try:
        rewound = set(await recreated.check())
    except TRANSIENT_ERRORS as err:  # cannot tell: fetch the same records again once Redis answers
        log.error("cannot read the topics' incarnations, fetching again: %s", err)
        for tp, records in batches.items():
            consumer.seek(tp, records[0].offset)
        await asyncio.sleep(0.2)
        return {}
    return {tp: records for tp, records in batches.items() if tp not in rewound}


async def _handle_and_commit(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, handle: BatchHandler,
                             tp, records: list[ConsumerRecord], stop: asyncio.Event) -> None:
    backoff = 0.2
    while True:
        try:
            await _handle_partition_batch(records, producer, handle)
            await consumer.commit({tp: records[-1].offset + 1})
            return
        except TRANSIENT_ERRORS as err:
            log.error("server unavailable while handling %s, retrying in %.1fs: %s", tp, backoff, err)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
            if stop.is_set():
                return


async def _handle_partition_batch(records: Iterable[ConsumerRecord], producer: AIOKafkaProducer,
                                  handle: BatchHandler) -> None:
    deliveries: list[Delivery] = []
    for record in records:
        parsed = parse(record)
        if isinstance(parsed, str):
            await dead_letter(producer, record, parsed)
        else:
            deliveries.append(parsed)
    if deliveries:
        await handle(deliveries)
