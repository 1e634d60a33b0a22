"""Benchmark of the matching service path: the standard stream into `orders.commands`, events out of
`orders.events` and `market.data` (the service mirrors each batch into Redis before it commits).

Throughput is the commands sent divided by the time from the first send to the arrival of the last command's
first execution report; a command's in→out latency is from its send to the arrival of its first execution
report (which event that is comes from a run of the pure core over the same stream). The benchmark's own
producer and consumer share the machine with the broker and the service.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from carbonlink.bench.wire_stream import order_commands, reference_run, setup_commands
from shared.kafka import make_producer
from shared.settings import Settings
from shared.topics import MARKET_DATA, ORDERS_COMMANDS, ORDERS_EVENTS

TICK_S = 0.002  # pacing granularity at a fixed rate


def run_service_benchmark(settings: Settings | None = None, *, n_orders: int = 20_000, rate: float | None = None,
                          seed: int = 7, timeout_s: float = 120.0) -> dict:
    """Publish `n_orders` commands of the standard stream for a fresh instrument as fast as possible (`rate`
    None) or at `rate` commands/s, and measure the service path. Uses the running stack `settings` points
    at, or (None) starts a private stack on free ports and stops it afterwards."""
    if settings is not None:
        return asyncio.run(_measure(settings, n_orders=n_orders, rate=rate, seed=seed, timeout_s=timeout_s))
    from carbonlink.servers import free_port
    from carbonlink.stack import Stack, free_metrics_ports

    with tempfile.TemporaryDirectory(prefix="carbonlink-bench-") as tmp:
        stack = Stack(Settings(var_dir=Path(tmp) / "var", kafka_port=free_port(), redis_port=free_port(),
                               order_entry_port=free_port(), **free_metrics_ports()))
        try:
            stack.up(say=lambda _: None, timeout=60)
            return asyncio.run(_measure(stack.settings, n_orders=n_orders, rate=rate, seed=seed, timeout_s=timeout_s))
        finally:
            stack.down(say=lambda _: None)


async def _measure(settings: Settings, *, n_orders: int, rate: float | None, seed: int, timeout_s: float) -> dict:
    instrument = f"BENCH.{uuid.uuid4().hex[:8]}"
    key = instrument.encode()
    setup, orders = setup_commands(instrument), order_commands(instrument, n_orders, seed)
    _, events = reference_run(setup + orders)
    first_seq = {batch[0].seq: n for n, batch in enumerate(events[len(setup):])}
    ready_seq = events[len(setup) - 1][-1].seq  # the phase change
    setup_raw = [command.encoded(instrument, n) for n, command in enumerate(setup)]
    orders_raw = [command.encoded(instrument, len(setup) + n) for n, command in enumerate(orders)]

    partitions = list(range(settings.default_partitions))
    partition = DefaultPartitioner()(key, partitions, partitions)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                fetch_max_wait_ms=settings.fetch_max_wait_ms, max_partition_fetch_bytes=8 << 20)
    producer = make_producer(settings, client_id="bench-matching", service="order_entry")
    await consumer.start()
    await producer.start()
    try:
        tps = [TopicPartition(ORDERS_EVENTS.name, partition), TopicPartition(MARKET_DATA.name, partition)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)
        for raw in setup_raw:
            await producer.send_and_wait(ORDERS_COMMANDS.name, raw, key=key)
        await _receive(consumer, key, {ready_seq: 0}, [0.0], [None], timeout_s=30.0)

        sent = [0.0] * len(orders_raw)
        arrived: list[float | None] = [None] * len(orders_raw)
        receiving = asyncio.create_task(_receive(consumer, key, first_seq, sent, arrived, timeout_s=timeout_s))
        await _send(producer, key, orders_raw, sent, rate)
        market_data = await receiving
    finally:
        await producer.stop()
        await consumer.stop()

    latencies = sorted(a - s for a, s in zip(arrived, sent) if a is not None)
    done = [a for a in arrived if a is not None]
    seconds = (max(done) - sent[0]) if done else float("nan")

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "orders": len(orders_raw),
        "rate": rate,
        "seconds": seconds,
        "orders_per_second": len(done) / seconds if done else 0.0,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "p99_9_ms": percentile(0.999),
        "unanswered": len(arrived) - len(done),
        "market_data_messages": market_data,
    }


async def _send(producer, key: bytes, raws: list[bytes], sent: list[float], rate: float | None) -> None:
    clock = time.perf_counter
    topic = ORDERS_COMMANDS.name
    pending = []
    if rate is None:
        for n, raw in enumerate(raws):
            sent[n] = clock()
            pending.append(await producer.send(topic, raw, key=key))
    else:
        per_tick = rate * TICK_S
        start = clock()
        n = 0
        tick = 0
        while n < len(raws):
            tick += 1
            until = min(len(raws), round(tick * per_tick))
            while n < until:
                sent[n] = clock()
                pending.append(await producer.send(topic, raws[n], key=key))
                n += 1
            await asyncio.sleep(max(0.0, start + tick * TICK_S - clock()))
    await asyncio.gather(*pending)


async def _receive(consumer: AIOKafkaConsumer, key: bytes, first_seq: dict[int, int], sent: list[float],
                   arrived: list[float | None], *, timeout_s: float) -> int:
    """Record when each command's first execution report arrives; return the market data messages seen."""
    waiting = len(first_seq)
    market_data = 0
    deadline = time.monotonic() + timeout_s
    while waiting and time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=50)
        now = time.perf_counter()
        for tp, records in batches.items():
            if tp.topic == MARKET_DATA.name:
                market_data += sum(1 for record in records if record.key == key)
                continue
            for record in records:
                if record.key != key:
                    continue
                seq = int(orjson.loads(record.value)["event_id"].rpartition(":")[2])
                n = first_seq.get(seq)
                if n is not None and arrived[n] is None:
                    arrived[n] = now
                    waiting -= 1
    return market_data
