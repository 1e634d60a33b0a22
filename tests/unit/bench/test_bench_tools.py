"""The benchmarks' own tools: the light HTTP client, the profile summary and the broker benchmark."""

from __future__ import annotations

import asyncio

import orjson

from carbonlink.bench.broker_cost import run_broker_benchmark
from carbonlink.bench.http_load import HttpLoad
from carbonlink.bench.profiling import top_frames


async def _serve(answers: list[bytes], seen: list[bytes]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            seen.append(await reader.readexactly(length))
            writer.write(answer)
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def test_the_load_client_posts_json_and_reads_sized_and_chunked_answers_on_one_kept_alive_connection() -> None:
    sized = b'HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 17\r\n\r\n{"order_id":"O1"}'
    chunked = b'HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{"code\r\n6\r\n":"X"}\r\n0\r\n\r\n'
    seen: list[bytes] = []
    server = await _serve([sized, chunked], seen)
    port = server.sockets[0].getsockname()[1]
    load = HttpLoad(f"http://127.0.0.1:{port}", connections=1, headers={"X-API-Key": "k"})
    try:
        first = await load.post_json("/v1/orders", {"n": 1})
        second = await load.post_json("/v1/orders", {"n": 2})
    finally:
        load.close()
        server.close()
    assert first[:2] == (201, {"order_id": "O1"})
    assert second[:2] == (409, {"code": "X"})
    assert [orjson.loads(body) for body in seen] == [{"n": 1}, {"n": 2}]


def test_the_profile_summary_ranks_functions_by_own_and_inclusive_samples() -> None:
    raw = ("process 1:main;run (a/app.py:1);hot (a/app.py:9) 6\n"
           "process 1:main;run (a/app.py:1);cold (a/app.py:5) 2\n"
           "process 1:main;run (a/app.py:1) 2\n")
    summary = top_frames(raw, n=2)
    assert summary["samples"] == 10
    assert summary["own"] == [" 60.0% hot (a/app.py:9)", " 20.0% cold (a/app.py:5)"]
    assert summary["inclusive"][0] == "100.0% run (a/app.py:1)"


def test_the_broker_benchmark_reports_cpu_per_record_for_each_batch_size_and_each_fetch_wait() -> None:
    result = run_broker_benchmark(batch_sizes=(1, 10), records=40, tail_waits_ms=(100,), tail_consumers=1,
                                  tail_s=0.2)
    assert [row["records_per_batch"] for row in result["batches"]] == [1, 10]
    assert all(row["records"] == 40 and row["produce_us_per_record"] >= 0 and row["fetch_us_per_record"] >= 0
               for row in result["batches"])
    assert [tail["fetch_wait_ms"] for tail in result["quiet_topic_fetchers"]] == [100]
