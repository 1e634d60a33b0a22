"""`carbonlink bench orders`: drive POST /v1/orders from concurrent clients against a running stack and measure
accepted orders/s, accept latency, and the time from accept to the execution report on the WebSocket.

The orders go through `http_load` (raw keep-alive HTTP/1.1), and the client reports its own CPU per order, so
the figure is the system's, not the load generator's; setting up (keys, accounts, funds) uses httpx."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import websockets

from carbonlink.bench.http_load import HttpLoad


@dataclass
class OrderTally:
    """What a load's orders came to: the accept latencies, when each accepted order was answered, refusals by code."""

    accept_ms: list[float] = field(default_factory=list)
    accepted_at: dict[str, float] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)

    async def place(self, load: HttpLoad, body: dict[str, Any]) -> None:
        started = time.perf_counter()
        status, answer, done = await load.post_json("/v1/orders", body)
        if status == 201:
            self.accept_ms.append((done - started) * 1000)
            self.accepted_at[answer["order_id"]] = done
        else:
            code = answer.get("code", str(status))
            self.refused[code] = self.refused.get(code, 0) + 1


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


async def set_up_trader(client: httpx.AsyncClient, operator: dict[str, str], instrument_id: str, run: str) -> tuple[
        dict[str, Any], dict[str, str], list[str]]:
    """A bench trader (named after `run`) with a buying and a selling account on the instrument's registry, well funded; the
    instrument (in a registry of its own, trading continuously) is listed first if it does not exist."""
    response = await client.get(f"/v1/admin/instruments/{instrument_id}", headers=operator)
    if response.status_code == 404:
        await _list_bench_instrument(client, operator, instrument_id)
        response = await client.get(f"/v1/admin/instruments/{instrument_id}", headers=operator)
    response.raise_for_status()
    instrument = response.json()
    registry = instrument["registry"]
    principal = f"bench-{run}"
    created = await client.post("/v1/admin/keys", headers=operator,
                                json={"principal": principal, "role": "trader", "rate": 1_000_000, "burst": 1_000_000})
    created.raise_for_status()
    accounts = [f"{registry}/bench-{run}-buy", f"{registry}/bench-{run}-sell"]
    for account in accounts:
        (await client.post("/v1/admin/accounts", headers=operator,
                           json={"id": account, "holder": principal, "principals": [principal]})).raise_for_status()
    (await client.post("/v1/admin/deposits", headers=operator, json={
        "account": accounts[0], "currency": instrument["currency"], "amount": "1000000000000"})).raise_for_status()
    unit = instrument["unit"]
    if unit["origin"] == registry:
        (await client.post("/v1/admin/issuances", headers=operator, json={
            "account": accounts[1], "origin": unit["origin"], "unit_type": unit["type"], "vintage": unit["vintage"],
            "quantity": 10**11})).raise_for_status()
    return instrument, {"X-API-Key": created.json()["api_key"]}, accounts


async def _list_bench_instrument(client: httpx.AsyncClient, operator: dict[str, str], instrument_id: str) -> None:
    registry = "BENCH"
    (await client.post("/v1/admin/registries", headers=operator,
                       json={"id": registry, "name": "benchmark registry", "currency": "CNY"})).raise_for_status()
    (await client.post("/v1/admin/instruments", headers=operator, json={
        "id": instrument_id, "registry": registry, "currency": "CNY",
        "unit": {"origin": registry, "type": "ALLOWANCE", "vintage": 2025}, "tick": 1, "lot": 1,
        "reference_price": 5000})).raise_for_status()
    (await client.post(f"/v1/admin/instruments/{instrument_id}/phase", headers=operator,
                       json={"phase": "CONTINUOUS"})).raise_for_status()
    for _ in range(100):  # matching lists the instrument asynchronously; its phase shows when it has
        book = await client.get(f"/v1/markets/{instrument_id}/book")
        if book.status_code == 200 and book.json().get("phase") == "CONTINUOUS":
            return
        await asyncio.sleep(0.1)


async def _reports(ws_url: str, trader: dict[str, str], seen: dict[str, float], ready: asyncio.Event,
                   stop: asyncio.Event) -> None:
    async with websockets.connect(ws_url, additional_headers={"X-API-Key": trader["X-API-Key"]}) as ws:
        await ws.recv()  # the authentication answer
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.2)
            except TimeoutError:
                continue
            item = orjson.loads(raw)
            if item.get("channel") == "executions":
                order_id = item["data"].get("order_id")
                if order_id and order_id not in seen:
                    seen[order_id] = time.perf_counter()


async def run_orders_benchmark_async(base_url: str, api_key: str, *, instrument: str, orders: int = 5000,
                                     concurrency: int = 32, report_wait_s: float = 5.0) -> dict[str, Any]:
    """Place `orders` crossing limit orders (alternating buy and sell at the reference price) from `concurrency`
    clients. `api_key` is an operator key: the bench creates its own trader, accounts and funds."""
    run = secrets.token_hex(3)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        spec, trader, accounts = await set_up_trader(client, {"X-API-Key": api_key}, instrument, run)
        price = spec["reference_price"]
        digits = {"JPY": 0, "KRW": 0}.get(spec["currency"], 2)
        price_text = f"{price / 10**digits:.{digits}f}"
        quantity = max(spec["lot"], spec["min_quantity"])
        can_sell = spec["unit"]["origin"] == spec["registry"]
        seen: dict[str, float] = {}
        tally = OrderTally()
        ready, stop = asyncio.Event(), asyncio.Event()
        ws_url = base_url.replace("http", "ws", 1) + "/v1/stream"
        listener = asyncio.create_task(_reports(ws_url, trader, seen, ready, stop))
        await asyncio.wait_for(ready.wait(), timeout=10)
        counter = iter(range(orders))
        load = HttpLoad(base_url, connections=concurrency, headers=trader)

        async def worker() -> None:
            for n in counter:
                sell = can_sell and n % 2 == 1
                body = {"instrument": instrument, "account": accounts[1 if sell else 0], "side": "SELL" if sell else "BUY",
                        "type": "LIMIT", "time_in_force": "GTC", "price": price_text, "quantity": quantity,
                        "client_order_id": f"b{run}-{n}"}
                await tally.place(load, body)

        cpu_started, started = time.process_time(), time.perf_counter()
        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            load.close()
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - cpu_started
        deadline = time.perf_counter() + report_wait_s
        while time.perf_counter() < deadline and not set(tally.accepted_at) <= set(seen):
            await asyncio.sleep(0.05)
        stop.set()
        await listener
    report_ms = [max(0.0, (seen[o] - t) * 1000) for o, t in tally.accepted_at.items() if o in seen]
    return {
        "orders": orders, "concurrency": concurrency, "accepted": len(tally.accept_ms), "refused": tally.refused,
        "seconds": round(elapsed, 3), "accepted_per_s": round(len(tally.accept_ms) / elapsed, 1) if elapsed else None,
        "accept_p50_ms": percentile(tally.accept_ms, 0.50), "accept_p99_ms": percentile(tally.accept_ms, 0.99),
        "reports_seen": len(report_ms), "report_p50_ms": percentile(report_ms, 0.50),
        "report_p99_ms": percentile(report_ms, 0.99),
        "client_cpu_ms_per_order": round(client_cpu * 1000 / orders, 3) if orders else None,
        "client_cpu_share": round(client_cpu / elapsed, 3) if elapsed else None,
    }


def run_orders_benchmark(base_url: str, api_key: str, *, instrument: str, orders: int = 5000, concurrency: int = 32,
                         report_wait_s: float = 5.0) -> dict[str, Any]:
    """Synchronous entry for the CLI; see `run_orders_benchmark_async`."""
    return asyncio.run(run_orders_benchmark_async(base_url, api_key, instrument=instrument, orders=orders,
                                                  concurrency=concurrency, report_wait_s=report_wait_s))
