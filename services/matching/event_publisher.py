"""Sending a batch's events to Kafka: keyed by instrument, in order, packed into as few produce batches as fit.

Sending each event with `producer.send` cost the service a future, a timer and a coroutine per event; the
events of one batch are instead appended to one record batch per topic partition (a new one when full),
which the producer delivers in order. Partitions are chosen exactly as `send(key=instrument)` chooses them, once
per instrument and topic: aiokafka's murmur2 is pure Python and cost 7-10% of the service when run per event.
The `orders.events` events are also handed back per partition, for the outbox to keep in Redis until settlement
has applied them (`shared.event_outbox`), and each names the instrument's previous one on that topic (the
envelope's `follows`): settlement applies them only in that chain's order, so that an event whose produce
succeeded after an earlier one's failed is not taken for progress past the lost one.
"""

from __future__ import annotations

import asyncio

from aiokafka.partitioner import DefaultPartitioner

from services.matching import core
from services.matching.translate import encode_event, topic_of
from shared.kafka import ServiceProducer
from shared.topics import ORDERS_EVENTS

_partitioner = DefaultPartitioner()
_partition_of: dict[tuple[str, bytes, tuple[int, ...]], int] = {}


async def send_events(producer: ServiceProducer, events_by_instrument: dict[str, list[core.Event]],
                      kept: dict[int, list[tuple[str, bytes]]], heads: dict[str, str]) -> list[asyncio.Future]:
    """Queue every event; return the futures that resolve when the broker acknowledged them. Each
    `orders.events` event is added to `kept` under its partition as (event id, envelope bytes), follows the
    instrument's event id in `heads` and becomes its new head."""
    headers = producer.headers
    partitions: dict[str, tuple[int, ...]] = {}
    batches: dict[tuple[str, int], object] = {}
    deliveries = []
    for instrument, events in events_by_instrument.items():
        key = instrument.encode()
        where_of: dict[str, tuple[str, int]] = {}
        for event in events:
            topic = topic_of(event)
            where = where_of.get(topic)
            if where is None:
                every = partitions.get(topic)
                if every is None:
                    every = partitions[topic] = tuple(sorted(await producer.partitions_for(topic)))
                partition = _partition_of.get((topic, key, every))
                if partition is None:
                    partition = _partition_of[(topic, key, every)] = _partitioner(key, list(every), list(every))
                where = where_of[topic] = (topic, partition)
            batch = batches.get(where)
            if topic == ORDERS_EVENTS.name:
                value = encode_event(event, follows=heads.get(instrument, ""))
                heads[instrument] = event.event_id
                kept.setdefault(where[1], []).append((event.event_id, value))
            else:
                value = encode_event(event)
            if batch is None or batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                if batch is not None:
                    deliveries.append(await producer.send_batch(batch, where[0], partition=where[1]))
                batch = batches[where] = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    raise ValueError(f"event {event.event_id} does not fit in a produce batch")
    for (topic, partition), batch in batches.items():
        deliveries.append(await producer.send_batch(batch, topic, partition=partition))
    return deliveries
