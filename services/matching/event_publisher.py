"""Sending a batch's events to Kafka: keyed by instrument, in order, packed into as few produce batches as fit.

Sending each event with `producer.send` cost the service a future, a timer and a coroutine per event; the
events of one batch are instead appended to one record batch per topic partition (a new one when full),
which the producer delivers in order. Partitions are chosen exactly as `send(key=instrument)` chooses them.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from services.matching import core
from services.matching.translate import encode_event, topic_of

_partitioner = DefaultPartitioner()


async def send_events(producer: AIOKafkaProducer,
                      events_by_instrument: dict[str, list[core.Event]]) -> list[asyncio.Future]:
    """Queue every event; return the futures that resolve when the broker acknowledged them."""
    partitions: dict[str, list[int]] = {}
    batches: dict[tuple[str, int], object] = {}
    deliveries = []
    for instrument, events in events_by_instrument.items():
        key = instrument.encode()
        for event in events:
            topic = topic_of(event)
            every = partitions.get(topic)
            if every is None:
                every = partitions[topic] = sorted(await producer.partitions_for(topic))
            where = (topic, _partitioner(key, every, every))
            batch = batches.get(where)
            value = encode_event(event)
            if batch is None or batch.append(key=key, value=value, timestamp=None) is None:
                if batch is not None:
                    deliveries.append(await producer.send_batch(batch, where[0], partition=where[1]))
                batch = batches[where] = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None) is None:
                    raise ValueError(f"event {event.event_id} does not fit in a produce batch")
    for (topic, partition), batch in batches.items():
        deliveries.append(await producer.send_batch(batch, topic, partition=partition))
    return deliveries
