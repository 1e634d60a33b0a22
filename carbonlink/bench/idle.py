"""`carbonlink bench idle`: what a running stack costs while nothing happens, and how fast it answers the first
order after a quiet spell.

`sample_idle` reads utime + stime (``/proc/<pid>/stat``) of every component the stack's pid files name, twice,
`seconds` apart, and reports each one's share of one core (target: the stack < 5%). `first_after_idle` then
waits `idle_s` without orders, places one crossing buy/sell pair through HTTP and times the sell's 201 to its
trade's ``TradeSettled`` read from `settlement.events` (three hops, each woken from its doze), `pairs` times.
Two stacks sampled side by side: run the command on each at the same time, each with its own settings.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from pathlib import Path
from typing import Any

import httpx

from carbonlink.bench.http_load import HttpLoad
from carbonlink.bench.order_to_settled import _events_consumer, _read_events
from carbonlink.bench.orders import OrderTally, set_up_trader
from carbonlink.stack import Stack
from shared.settings import Settings

TARGET_PERCENT = 5.0


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime


def sample_idle(stack: Stack, *, seconds: float) -> dict[str, Any]:
    """Each running component's CPU over `seconds` as % of one core, and the stack's sum."""
    pids = {name: pid for name in stack.components() if (pid := stack.running_pid(name)) is not None}
    before = {name: _cpu_ticks(pid) for name, pid in pids.items()}
    started = time.monotonic()
    time.sleep(seconds)
    after = {name: _cpu_ticks(pid) for name, pid in pids.items()}
    elapsed = time.monotonic() - started
    hz = os.sysconf("SC_CLK_TCK")
    percent = {name: round((after[name] - before[name]) / hz / elapsed * 100, 2) for name in pids
               if before[name] is not None and after[name] is not None}
    return {"seconds": round(elapsed, 1), "percent_of_a_core": percent,
            "stack_percent": round(sum(percent.values()), 2), "target_percent": TARGET_PERCENT}


def first_after_idle(settings: Settings, api_key: str, *, instrument: str, pairs: int = 5,
                     idle_s: float = 5.0) -> dict[str, Any]:
    """Accepted → settled of one trade after `idle_s` without orders, `pairs` times (ms, in order)."""
    return asyncio.run(_first_after_idle(settings, api_key, instrument=instrument, pairs=pairs, idle_s=idle_s))


async def _first_after_idle(settings: Settings, api_key: str, *, instrument: str, pairs: int,
                            idle_s: float) -> dict[str, Any]:
    run = secrets.token_hex(3)
    async with httpx.AsyncClient(base_url=settings.order_entry_url, timeout=30) as client:
        spec, trader, accounts = await set_up_trader(client, {"X-API-Key": api_key}, instrument, run)
    digits = {"JPY": 0, "KRW": 0}.get(spec["currency"], 2)
    price = f"{spec['reference_price'] / 10**digits:.{digits}f}"
    quantity = max(spec["lot"], spec["min_quantity"])
    tally = OrderTally()
    taker_of: dict[str, str] = {}
    settled_at: dict[str, float] = {}
    consumer = await _events_consumer(settings, instrument.encode())
    stop = asyncio.Event()
    reader = asyncio.create_task(_read_events(consumer, instrument, taker_of, settled_at, stop))
    load = HttpLoad(settings.order_entry_url, connections=1, headers=trader)
    settled_ms: list[float | None] = []
    try:
        for n in range(pairs):
            await asyncio.sleep(idle_s)
            for side, account in (("BUY", accounts[0]), ("SELL", accounts[1])):
                await tally.place(load, {"instrument": instrument, "account": account, "side": side, "type": "LIMIT",
                                         "time_in_force": "GTC", "price": price, "quantity": quantity,
                                         "client_order_id": f"i{run}-{n}-{side}"})
            deadline = time.perf_counter() + 10.0
            while time.perf_counter() < deadline and not settled_at:
                await asyncio.sleep(0.001)
            settled = [(settled_at[t] - tally.accepted_at[o]) * 1000 for t, o in taker_of.items()
                       if t in settled_at and o in tally.accepted_at]
            settled_ms.append(round(max(settled), 1) if settled else None)
            taker_of.clear()
            settled_at.clear()
    finally:
        load.close()
        stop.set()
        await reader
        await consumer.stop()
    return {"idle_s": idle_s, "settled_ms": settled_ms, "refused": tally.refused}
