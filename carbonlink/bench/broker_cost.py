"""`carbonlink bench broker`: the embedded broker's CPU per record as a function of how records are batched, and
what a consumer waiting on a quiet topic costs it, measured against a private broker.

For each batch size, `records` records of `size` bytes go to a fresh one-partition topic as record batches of
that many records (one produce request each, acks from all, the next sent when the previous is acknowledged,
as aiokafka does for one partition), then one consumer reads them back from the start. The broker's utime +
stime (``/proc/<pid>/stat``) over each step, divided by the records, gives µs of broker CPU per record
produced and per record fetched. Then `tail_s` seconds of consumers fetching a quiet topic, at each fetch wait,
give the broker's share of one core. The figures are CPU, not wall time: they hold on a loaded machine.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from carbonlink.servers import free_port, start_broker, stop_pid

BATCH_SIZES = (1, 2, 5, 10, 40, 200, 1000)
TAIL_WAITS_MS = (10, 100, 500)
_TICK = os.sysconf("SC_CLK_TCK")


def broker_cpu_s(pid: int) -> float:
    """utime + stime of a process, in seconds (10 ms resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def run_broker_benchmark(*, batch_sizes: tuple[int, ...] = BATCH_SIZES, records: int = 20_000, size: int = 400,
                         requests: int = 2_000, tail_waits_ms: tuple[int, ...] = TAIL_WAITS_MS,
                         tail_consumers: int = 3, tail_s: float = 10.0) -> dict:
    """Start a private broker, measure, stop it. A batch size sends min(`records`, `requests` × size) records,
    so that the small ones do not take minutes."""
    with tempfile.TemporaryDirectory(prefix="carbonlink-broker-") as tmp:
        port = free_port()
        broker = start_broker(host="127.0.0.1", port=port, log_path=Path(tmp) / "broker.log")
        try:
            return asyncio.run(_measure(f"127.0.0.1:{port}", broker.pid, batch_sizes, records, size, requests,
                                        tail_waits_ms, tail_consumers, tail_s))
        finally:
            stop_pid(broker.pid)


async def _measure(bootstrap: str, pid: int, batch_sizes: tuple[int, ...], records: int, size: int, requests: int,
                   tail_waits_ms: tuple[int, ...], tail_consumers: int, tail_s: float) -> dict:
    rows = []
    for per_batch in batch_sizes:
        topic = f"bench-broker-{per_batch}"
        await _create(bootstrap, topic)
        n = min(records, requests * per_batch)
        produced_s, wall_s = await _produce(bootstrap, pid, topic, n, per_batch, size)
        fetched_s = await _fetch(bootstrap, pid, topic, n)
        rows.append({"records_per_batch": per_batch, "records": n,
                     "produce_us_per_record": round(produced_s / n * 1e6, 1),
                     "fetch_us_per_record": round(fetched_s / n * 1e6, 1), "produced_per_second": round(n / wall_s)})
    await _create(bootstrap, "bench-broker-quiet")
    tails = [{"consumers": tail_consumers, "fetch_wait_ms": wait,
              "broker_percent_of_a_core": await _tail(bootstrap, pid, "bench-broker-quiet", tail_consumers, wait,
                                                      tail_s)}
             for wait in tail_waits_ms]
    return {"record_bytes": size, "batches": rows, "quiet_topic_fetchers": tails}


async def _create(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()


def _value(size: int, n: int) -> bytes:
    head = b'{"event_id":"BENCH:%d","type":"OrderAccepted","payload":"' % n
    return head + b"x" * max(0, size - len(head) - 2) + b'"}'


async def _produce(bootstrap: str, pid: int, topic: str, n: int, per_batch: int, size: int) -> tuple[float, float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0, max_batch_size=4 << 20,
                                max_request_size=8 << 20)
    await producer.start()
    try:
        values = [_value(size, i) for i in range(n)]
        cpu, start = broker_cpu_s(pid), time.perf_counter()
        pending = []
        for first in range(0, n, per_batch):
            batch = producer.create_batch()
            for value in values[first:first + per_batch]:
                batch.append(key=b"BENCH", value=value, timestamp=None, headers=[])
            pending.append(await producer.send_batch(batch, topic, partition=0))
        await asyncio.gather(*pending)
        return broker_cpu_s(pid) - cpu, time.perf_counter() - start
    finally:
        await producer.stop()


async def _fetch(bootstrap: str, pid: int, topic: str, n: int) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=10)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek(tp, 0)
        got, cpu = 0, broker_cpu_s(pid)
        while got < n:
            got += sum(len(batch) for batch in (await consumer.getmany(timeout_ms=200, max_records=100_000)).values())
        return broker_cpu_s(pid) - cpu
    finally:
        await consumer.stop()


async def _tail(bootstrap: str, pid: int, topic: str, consumers: int, wait_ms: int, seconds: float) -> float:
    """The broker's % of one core while `consumers` fetch the end of a quiet topic with `wait_ms`."""
    tailing = []
    stop = asyncio.Event()
    for _ in range(consumers):
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=wait_ms)
        await consumer.start()
        consumer.assign([TopicPartition(topic, 0)])
        tailing.append(consumer)

    async def fetch(consumer: AIOKafkaConsumer) -> None:
        while not stop.is_set():
            await consumer.getmany(timeout_ms=100)

    tasks = [asyncio.create_task(fetch(consumer)) for consumer in tailing]
    try:
        await asyncio.sleep(1.0)
        cpu, start = broker_cpu_s(pid), time.perf_counter()
        await asyncio.sleep(seconds)
        return round((broker_cpu_s(pid) - cpu) / (time.perf_counter() - start) * 100, 2)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for consumer in tailing:
            await consumer.stop()
