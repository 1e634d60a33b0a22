"""The kill-test harness: a private stack under a crossing-order load through the real HTTP API, kill -9 of one
component, a restart like an operator's, a wait until the exchange is quiet (by polling), and a count.

    async with crash_rig(tmp_path) as rig:
        load = rig.start_load()
        await load.until_accepted(40)
        rig.kill("broker")
        await rig.restart()                  # `carbonlink stack up`; rig.restart("bridge") = `stack restart bridge`
        probe_s = await rig.time_to_settle()  # a crossing pair placed after the restart: seconds until it settles
        await load.stop()
        await rig.wait_quiet(load)
        tally = rig.tally(load)               # accepted, lost, duplicated, unsettled trades, ...
        report = rig.audit()                  # `carbonlink audit`

The load is a client that behaves: it places crossing sells and buys (domestic and cross-border) at one price,
and retries a request that got no answer (connection refused, timeout, 5xx) with the same client order id
until it gets one, as the API asks clients to do.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis

from carbonlink.cli.audit import exchange_audit
from carbonlink.stack import Stack
from carbonlink.audit.ledger import AuditReport
from shared import market_keys as mk
from tests.integration.e2e.market import FEES, PRICE, LinkedMarket, operator_key
from tests.stacks import private_settings

#: Where an order the API accepted may end: resting on the book, filled, cancelled / expired, rejected (with a reason).
RESTING = (mk.NEW, mk.PARTIALLY_FILLED)
QUANTITY = 10
ANSWER_TIMEOUT_S = 6.0  # order entry gives up on the broker after 5 s: longer, so its answer is never cut off


@dataclass(frozen=True, slots=True)
class Leg:
    key: dict[str, str]
    account: str
    side: str


@dataclass
class Tally:
    """What the count found once the exchange was quiet."""

    accepted: int  # answered 201
    retried_answers: int  # answered 200 to a retry of a request whose first answer never came
    abandoned: int  # requests the load stopped retrying without an answer
    lost: list[dict[str, str]]
    trades: int
    settled: int
    refused: int
    duplicated: list[str]
    unsettled: list[str]
    statuses: Counter[str] = field(default_factory=Counter)

    def row(self, component: str, probe_s: float | None) -> dict[str, Any]:
        return {"component": component, "accepted": self.accepted, "retried_200": self.retried_answers,
                "abandoned": self.abandoned, "lost": len(self.lost),
                "duplicated": len(self.duplicated), "trades": self.trades, "unsettled": len(self.unsettled),
                "settle_after_restart_s": None if probe_s is None else round(probe_s, 2)}


class CrossingLoad:
    """Workers placing crossing orders until stopped; every answer is recorded."""

    def __init__(self, client: httpx.AsyncClient, instrument: str, legs: list[Leg], *, workers: int,
                 pause_s: float) -> None:
        self._client, self._instrument, self._legs = client, instrument, legs
        self._pause_s = pause_s
        self._stopping = asyncio.Event()
        self.accepted: dict[str, int] = {}  # order id → the status code that answered it (201, or 200 to a retry)
        self.refused: Counter[str] = Counter()  # error codes of requests the API turned down
        self.unanswered = 0  # attempts that got no answer (and were retried)
        self.abandoned = 0  # requests still unanswered when the load stopped retrying
        self._tasks = [asyncio.create_task(self._worker(i)) for i in range(workers)]

    async def _worker(self, worker: int) -> None:
        for n in itertools.count():
            if self._stopping.is_set():
                return
            leg = self._legs[(worker + n) % len(self._legs)]
            body = {"instrument": self._instrument, "account": leg.account, "side": leg.side, "type": "LIMIT",
                    "time_in_force": "GTC", "price": PRICE, "quantity": QUANTITY,
                    "client_order_id": f"w{worker}-{n}-{secrets.token_hex(3)}"}
            await self._place(body, leg.key)
            await asyncio.sleep(self._pause_s)

    async def _place(self, body: dict[str, Any], key: dict[str, str]) -> None:
        give_up_at = None
        while True:
            try:
                response = await self._client.post("/v1/orders", json=body, headers=key, timeout=ANSWER_TIMEOUT_S)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code in (200, 201):
                self.accepted.setdefault(response.json()["order_id"], response.status_code)
                return
            if response is not None and response.status_code < 500:
                self.refused[response.json().get("code", str(response.status_code))] += 1
                return
            self.unanswered += 1
            if self._stopping.is_set():
                give_up_at = give_up_at or time.monotonic() + 30
                if time.monotonic() > give_up_at:
                    self.abandoned += 1
                    return
            await asyncio.sleep(0.25)

    async def until_accepted(self, count: int, *, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count:
            assert time.monotonic() < deadline, f"only {len(self.accepted)} orders accepted"
            await asyncio.sleep(0.05)

    async def until_outage_felt(self, *, more: int = 20, timeout: float = 60.0) -> None:
        """Poll until a request went unanswered, or `more` further orders were accepted regardless."""
        target = len(self.accepted) + more
        deadline = time.monotonic() + timeout
        while not self.unanswered and len(self.accepted) < target:
            assert time.monotonic() < deadline, "the load neither failed nor progressed"
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Place nothing new; wait for the requests in flight to be answered (retrying them as a client would)."""
        self._stopping.set()
        await asyncio.gather(*self._tasks)


class CrashRig:
    def __init__(self, stack: Stack, market: LinkedMarket, legs: list[Leg], probe: tuple[str, list[Leg]]) -> None:
        self.stack = stack
        self.settings = stack.settings
        self.market = market
        self._legs = legs
        self._probe_instrument, self._probe_legs = probe
        self.redis = redis.Redis(host=self.settings.redis_host, port=self.settings.redis_port, socket_timeout=10)
        self.restart_s: float | None = None

    def start_load(self, *, workers: int = 3, pause_s: float = 0.02) -> CrossingLoad:
        return CrossingLoad(self.market.client, self.market.instrument, self._legs, workers=workers, pause_s=pause_s)

    def kill(self, component: str) -> int:
        """kill -9 of the component's recorded process; its pid."""
        pid = self.stack.running_pid(component)
        assert pid, f"{component} is not running"
        os.kill(pid, signal.SIGKILL)
        return pid

    async def restart(self, component: str | None = None) -> None:
        """`carbonlink stack up` (or `stack restart COMPONENT`), off the event loop so the load keeps going."""
        started = time.monotonic()
        if component is None:
            await asyncio.to_thread(self.stack.up, say=lambda _: None, timeout=90)
        else:
            await asyncio.to_thread(self.stack.restart, component, say=lambda _: None, timeout=90)
        self.redis.close()  # a fresh connection, should Redis have been the one restarted
        self.restart_s = time.monotonic() - started

    async def time_to_settle(self, *, timeout: float = 60.0) -> float | None:
        """Place a resting sell and a crossing buy on an instrument of their own; seconds until the buyer's
        settlement is recorded (None if it is not within `timeout`)."""
        seller, buyer = self._probe_legs
        before = self.redis.llen(mk.account_settlements(buyer.account))
        started = time.monotonic()
        for leg in (seller, buyer):
            body = {"instrument": self._probe_instrument, "account": leg.account, "side": leg.side, "type": "LIMIT",
                    "time_in_force": "GTC", "price": PRICE, "quantity": QUANTITY,
                    "client_order_id": f"probe-{secrets.token_hex(4)}"}
            while True:
                try:
                    response = await self.market.client.post("/v1/orders", json=body, headers=leg.key,
                                                             timeout=ANSWER_TIMEOUT_S)
                    if response.status_code in (200, 201):
                        break
                    assert response.status_code >= 500, response.text
                except httpx.HTTPError:
                    pass
                if time.monotonic() - started > timeout:
                    return None
                await asyncio.sleep(0.1)
        while self.redis.llen(mk.account_settlements(buyer.account)) <= before:
            if time.monotonic() - started > timeout:
                return None
            await asyncio.sleep(0.05)
        return time.monotonic() - started

    def _order_states(self, order_ids: list[str]) -> list[tuple[str, str]]:
        pipe = self.redis.pipeline(transaction=False)
        for order_id in order_ids:
            pipe.hmget(mk.order_state(order_id), "status", "reason")
        return [tuple(v.decode() if v else "" for v in pair) for pair in pipe.execute()]

    def _trade_states(self) -> dict[str, dict[str, str]]:
        instrument = self.market.instrument
        last = (self.redis.hget(mk.last_trade(instrument), "trade_id") or b":T0").decode()
        ids = [f"{instrument}:T{n}" for n in range(1, int(last.rpartition(":T")[2]) + 1)]
        pipe = self.redis.pipeline(transaction=False)
        for trade_id in ids:
            pipe.hgetall(f"trade:{trade_id}")
        return {t: {k.decode(): v.decode() for k, v in raw.items()} for t, raw in zip(ids, pipe.execute())}

    def _progress(self, load: CrossingLoad) -> tuple:
        statuses = Counter(status for status, _ in self._order_states(list(load.accepted)))
        trades = Counter(state.get("status", "MISSING") for state in self._trade_states().values())
        return tuple(sorted(statuses.items())), tuple(sorted(trades.items()))

    async def wait_quiet(self, load: CrossingLoad, *, timeout: float = 30.0, still_s: float = 1.0) -> bool:
        """Poll until no accepted order is PENDING_NEW, every matched trade is final, and nothing changed for
        `still_s`; or until `timeout`, when what stays stuck is left for the count to show (False)."""
        deadline = time.monotonic() + timeout
        seen, since = None, time.monotonic()
        while time.monotonic() < deadline:
            progress = self._progress(load)
            if progress != seen:
                seen, since = progress, time.monotonic()
            orders, trades = (dict(part) for part in progress)
            settled = mk.PENDING_NEW not in orders and set(trades) <= {"SETTLED", "FAILED"}
            if settled and time.monotonic() - since >= still_s:
                return True
            await asyncio.sleep(0.2)
        return False

    def tally(self, load: CrossingLoad) -> Tally:
        order_ids = list(load.accepted)
        resting = {k.decode() for k in self.redis.hkeys(mk.resting_orders(self.market.instrument))}
        statuses: Counter[str] = Counter()
        lost = []
        for order_id, (status, reason) in zip(order_ids, self._order_states(order_ids)):
            statuses[status or "MISSING"] += 1
            ended = (status in (mk.FILLED, mk.CANCELLED, mk.EXPIRED) or (status == mk.REJECTED and reason)
                     or (status in RESTING and order_id in resting))
            if not ended:
                lost.append({"order_id": order_id, "status": status or "MISSING", "reason": reason})
        trades = self._trade_states()
        return Tally(
            accepted=sum(1 for code in load.accepted.values() if code == 201),
            retried_answers=sum(1 for code in load.accepted.values() if code == 200), abandoned=load.abandoned,
            lost=lost, trades=len(trades), statuses=statuses,
            settled=sum(1 for s in trades.values() if s.get("status") == "SETTLED"),
            refused=sum(1 for s in trades.values() if s.get("status") == "FAILED" and s.get("reason_code")),
            duplicated=[t for t, s in trades.items() if int(s.get("settled_count") or 0) > 1],
            unsettled=[t for t, s in trades.items()
                       if not (s.get("status") == "SETTLED" or (s.get("status") == "FAILED" and s.get("reason_code")))],
        )

    def audit(self) -> AuditReport:
        """`carbonlink audit` over the stack's Redis."""
        return exchange_audit(self.redis, self.settings)

    def record(self, component: str, tally: Tally, probe_s: float | None, report: AuditReport) -> None:
        """Append the measured row to the file `CARBONLINK_KILL_TABLE` names, when it names one."""
        path = os.environ.get("CARBONLINK_KILL_TABLE")
        if path:
            with open(path, "ab") as out:
                row = tally.row(component, probe_s) | {
                    "restart_s": round(self.restart_s or 0, 1),
                    "audit_failing": [check.name for check in report.checks if not check.ok]}
                out.write(orjson.dumps(row) + b"\n")


@asynccontextmanager
async def crash_rig(tmp_path: Path, **overrides: Any) -> AsyncIterator[CrashRig]:
    """A private stack with a linked market: a Beijing seller, a Beijing buyer and a Seoul buyer (cross-border)
    on one instrument, and a probe seller and buyer on a second instrument; stopped by pid afterwards."""
    settings = private_settings(tmp_path / "var", **{"settlement_pending_timeout_s": 20.0, **overrides})
    stack = Stack(settings)
    try:
        await asyncio.to_thread(stack.up, say=lambda _: None, timeout=90)
        key = await operator_key(settings.redis_url, f"crash-ops-{secrets.token_hex(3)}")
        async with httpx.AsyncClient(base_url=settings.order_entry_url, timeout=ANSWER_TIMEOUT_S) as client:
            market = LinkedMarket(client=client, operator=key, redis_url=settings.redis_url)
            await market.open()
            seller, buyer, kr_buyer = f"{market.bj}/seller", f"{market.bj}/buyer", f"{market.kr}/buyer"
            legs = [Leg(await market.trader(seller, units=1_000_000), seller, "SELL"),
                    Leg(await market.trader(buyer, cny="100000000.00"), buyer, "BUY"),
                    Leg(await market.trader(kr_buyer, cny="100000000.00"), kr_buyer, "BUY")]
            legs.insert(2, legs[0])  # sell, buy, sell, cross-border buy: as many tonnes sold as bought
            probe_instrument = f"{market.instrument}-P"
            await market.admin("instruments", {
                "id": probe_instrument, "registry": market.bj, "currency": "CNY",
                "unit": {"origin": market.bj, "type": "ALLOWANCE", "vintage": 2025}, "tick": 1, "lot": 10,
                "min_quantity": 10, "band": "1/10", "reference_price": 5_000,
                "fees": {"maker_bps": FEES.maker_bps, "taker_bps": FEES.taker_bps, "min_fee": FEES.min_fee}})
            await market.admin(f"instruments/{probe_instrument}/phase", {"phase": "CONTINUOUS"})
            probe_seller, probe_buyer = f"{market.bj}/probe-seller", f"{market.bj}/probe-buyer"
            probe = [Leg(await market.trader(probe_seller, units=10_000), probe_seller, "SELL"),
                     Leg(await market.trader(probe_buyer, cny="1000000.00"), probe_buyer, "BUY")]
            rig = CrashRig(stack, market, legs, (probe_instrument, probe))
            try:
                yield rig
            finally:
                rig.redis.close()
    finally:
        await asyncio.to_thread(stack.down, say=lambda _: None)
