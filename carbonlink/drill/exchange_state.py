"""The drill's read side of the exchange (Redis, read only): when a step's effects are all processed, and what
the traders may know afterwards.

A step is over when matching has processed every command the drill sent (each phase change it asked for
shows in the market data — an auction's uncross trades are written before it; each accepted order has left
PENDING_NEW; every order the drill expects to end — expired by the business clock, mass-cancelled — has
ended), settlement has booked every trade matched so far (SETTLED or FAILED; a cross-border trade the bridge
parked for a later settlement window counts once it is parked until after the business clock) and every
ended order's reservation is released. Only then does the drill read balances, quotes and trades, so what
the traders know — and so what they do next — does not depend on how fast the machine is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import orjson
import redis.asyncio as aioredis

from carbonlink.drill.journal import TradeRecord
from services.bridge import bridge_keys
from services.settlement.trade_state import FAILED, PENDING_BRIDGE, SETTLED, trade_key
from shared import market_keys as mk
from shared import redis_keys
from shared.ledger.views import balances, text, text_map
from shared.phases import CLOSED, TRANSITIONS

__all__ = ["Book", "ExchangeState", "NotSettled", "TrackedOrder"]

POLL_S = 0.005
TRADES_PAGE = 200


class NotSettled(RuntimeError):
    """The exchange did not finish a step's effects in time (a stopped service): the drill cannot go on."""


@dataclass(frozen=True)
class TrackedOrder:
    order_id: str
    instrument: str
    account: str
    registry: str
    expire_at: int
    buy: bool = True
    quantity: int = 0


@dataclass(frozen=True)
class Book:
    """What the exchange shows of one market after a step: last trade, reference price, best bid and ask."""

    last: int | None
    reference: int | None
    bid: int | None
    ask: int | None


@dataclass
class ExchangeState:
    """Tracks the drill's orders and trades through one Redis client; ``settle`` waits out a step."""

    client: aioredis.Redis
    instruments: list[str]
    timeout_s: float = 120.0
    open_orders: dict[str, TrackedOrder] = field(default_factory=dict)
    _accepted: set[str] = field(default_factory=set)  # posted this step: must leave PENDING_NEW
    _ending: set[str] = field(default_factory=set)  # must end (expiry, mass cancel)
    _ended: set[str] = field(default_factory=set)  # ended: their reservations must be released
    _pending_trades: set[str] = field(default_factory=set)
    _last_trade: dict[str, int] = field(default_factory=dict)
    _phases: dict[str, tuple[str, str]] = field(default_factory=dict)  # instrument → (phase before, phase asked)

    def posted(self, order: TrackedOrder) -> None:
        self.open_orders[order.order_id] = order
        self._accepted.add(order.order_id)

    async def phase_before(self, instrument: str) -> str:
        """The instrument's phase as matching shows it, read before the drill asks for a change."""
        return text(await self.client.get(mk.phase(instrument)) or b"")

    def phase_asked(self, instrument: str, *, before: str, asked: str) -> None:
        """The drill asked for ``asked``: matching has applied it once its phase shows it, or shows anything but
        ``before`` (a circuit breaker may halt the market in the same batch). A change matching refuses (not
        among the phase's transitions) is not waited for; an instrument matching has shown no phase for is CLOSED,
        as matching starts it."""
        if asked in TRANSITIONS[before or CLOSED]:
            self._phases[instrument] = (before, asked)

    def clock_moved(self, now: int) -> None:
        """GTD orders whose expiry the business clock reached must end."""
        self._ending.update(o.order_id for o in self.open_orders.values() if o.expire_at <= now)

    def cancelling(self, *, instrument: str | None = None, registries: set[str] | None = None) -> None:
        """The drill mass-cancelled these open orders: they must end."""
        self._ending.update(o.order_id for o in self.open_orders.values()
                            if (instrument is None or o.instrument == instrument)
                            and (registries is None or o.registry in registries))

    async def mark_trades_seen(self) -> None:
        """Trades before the drill (an earlier run on this stack) are not the drill's."""
        for instrument in self.instruments:
            raw = await self.client.lindex(mk.recent_trades(instrument), 0)
            self._last_trade[instrument] = _trade_number(orjson.loads(raw)["trade_id"]) if raw else 0

    async def settle(self, *, now: int) -> list[TradeRecord]:
        """Wait until the exchange has processed every effect so far; the trades that finished, in id order."""
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        while not (await self._phases_done() and await self._orders_done()):
            self._check(deadline, "matching has not processed the step's phase changes and orders")
        await self._prune_open_orders()
        await self._collect_new_trades()
        finished: list[TradeRecord] = []
        while True:
            done, waiting = await self._trades_done(now)
            finished += done
            if not waiting and await self._releases_done():
                break
            self._check(deadline, f"settlement has not finished {len(waiting)} trade(s)")
        return sorted(finished, key=lambda t: (t.instrument, _trade_number(t.trade_id)))

    def _check(self, deadline: float, what: str) -> None:
        if asyncio.get_running_loop().time() > deadline:
            raise NotSettled(f"{what} within {self.timeout_s:.0f} s")

    async def _orders_done(self) -> bool:
        ids = sorted(self._accepted | self._ending)
        if not ids:
            return True
        pipe = self.client.pipeline(transaction=False)
        for order_id in ids:
            pipe.hget(mk.order_state(order_id), "status")
        statuses = dict(zip(ids, (text(s) if s else "" for s in await pipe.execute())))
        for order_id, status in statuses.items():
            if status and status != mk.PENDING_NEW:
                self._accepted.discard(order_id)
            if status and status not in mk.OPEN_STATUSES:
                self._ending.discard(order_id)
                self._accepted.discard(order_id)
                if self.open_orders.pop(order_id, None) is not None:
                    self._ended.add(order_id)
        if self._accepted or self._ending:
            await asyncio.sleep(POLL_S)
            return False
        return True

    async def _prune_open_orders(self) -> None:
        """Forget every order that has ended, once matching has processed the step: an order that rested when
        it was first seen may since have been filled by a later one, and whether the first look caught it
        resting depended on timing (which the traders' view of the books and quota must not)."""
        ids = sorted(self.open_orders)
        if not ids:
            return
        pipe = self.client.pipeline(transaction=False)
        for order_id in ids:
            pipe.hget(mk.order_state(order_id), "status")
        for order_id, raw in zip(ids, await pipe.execute()):
            status = text(raw) if raw else ""
            if status and status not in mk.OPEN_STATUSES:
                del self.open_orders[order_id]
                self._ended.add(order_id)

    async def _phases_done(self) -> bool:
        if not self._phases:
            return True
        instruments = sorted(self._phases)
        for instrument, raw in zip(instruments, await self.client.mget([mk.phase(i) for i in instruments])):
            before, asked = self._phases[instrument]
            shown = text(raw or b"")
            if shown == asked or shown != before:
                del self._phases[instrument]
        if self._phases:
            await asyncio.sleep(POLL_S)
            return False
        return True

    async def _collect_new_trades(self) -> None:
        for instrument in self.instruments:
            last, start = self._last_trade.get(instrument, 0), 0
            newest = last
            while True:
                page = await self.client.lrange(mk.recent_trades(instrument), start, start + TRADES_PAGE - 1)
                numbers = [_trade_number(orjson.loads(raw)["trade_id"]) for raw in page]
                self._pending_trades.update(f"{instrument}:T{n}" for n in numbers if n > last)
                newest = max([newest, *numbers])
                if not page or min(numbers) <= last + 1 or len(page) < TRADES_PAGE:
                    break
                start += TRADES_PAGE
            self._last_trade[instrument] = newest

    async def _trades_done(self, now: int) -> tuple[list[TradeRecord], set[str]]:
        ids = sorted(self._pending_trades)
        if not ids:
            return [], set()
        pipe = self.client.pipeline(transaction=False)
        for trade_id in ids:
            pipe.hgetall(trade_key(trade_id))
            pipe.zscore(bridge_keys.PENDING, trade_id)
        replies = await pipe.execute()
        done: list[TradeRecord] = []
        waiting: set[str] = set()
        for trade_id, raw, retry_at in zip(ids, replies[0::2], replies[1::2]):
            state = text_map(raw)
            status = state.get("status")
            if status in (SETTLED, FAILED):
                self._pending_trades.discard(trade_id)
                done.append(TradeRecord(
                    trade_id, state["instrument"], int(state["price"]), int(state["quantity"]),
                    int(state["matched_at"]), state["buy_account"], state["sell_account"],
                    refused=None if status == SETTLED else state.get("reason_code") or state.get("reason") or "?"))
            elif not (status == PENDING_BRIDGE and retry_at is not None and retry_at > now):
                waiting.add(trade_id)  # a trade parked until a later settlement window settles in a later step
        if waiting:
            await asyncio.sleep(POLL_S)
        return done, waiting

    async def _releases_done(self) -> bool:
        ids = sorted(self._ended)
        if not ids:
            return True
        pipe = self.client.pipeline(transaction=False)
        for order_id in ids:
            pipe.exists(redis_keys.reservation_key(order_id))
        for order_id, exists in zip(ids, await pipe.execute()):
            if not exists:
                self._ended.discard(order_id)
        if self._ended:
            await asyncio.sleep(POLL_S)
            return False
        return True

    async def balances(self, accounts: list[str]) -> dict[str, dict[str, tuple[int, int]]]:
        """Account → asset → (available, reserved)."""
        pipe = self.client.pipeline(transaction=False)
        for account in accounts:
            pipe.hgetall(redis_keys.balance_key(account))
        return {account: balances(raw) for account, raw in zip(accounts, await pipe.execute())}

    async def books(self) -> dict[str, Book]:
        pipe = self.client.pipeline(transaction=False)
        for instrument in self.instruments:
            pipe.hget(mk.last_trade(instrument), "price")
            pipe.get(mk.reference_price(instrument))
            pipe.hkeys(mk.levels(instrument, "BUY"))
            pipe.hkeys(mk.levels(instrument, "SELL"))
        replies = await pipe.execute()
        books = {}
        for index, instrument in enumerate(self.instruments):
            last, reference, bids, asks = replies[4 * index: 4 * index + 4]
            books[instrument] = Book(int(last) if last else None, int(reference) if reference else None,
                                     max((int(p) for p in bids), default=None), min((int(p) for p in asks), default=None))
        return books

    async def quota_counters(self, period: int) -> dict[str, int]:
        """The bridge's quota hash of one period: counter field → units."""
        return {text(k): int(v) for k, v in (await self.client.hgetall(bridge_keys.quota_key(period))).items()}

    async def link_counters(self, periods: list[str]) -> dict[str, int]:
        """The bridge's link counters (units delivered per link direction) summed over ``periods``."""
        counted: dict[str, int] = {}
        for period in periods:
            for key, value in (await self.client.hgetall(bridge_keys.quota_key(int(period)))).items():
                kind, _, rest = text(key).partition("|")
                if kind == "LINK":
                    link, _, direction = rest.partition("|")
                    arc = f"{link}:{direction}"
                    counted[arc] = counted.get(arc, 0) + int(value)
        return counted


def _trade_number(trade_id: str) -> int:
    return int(trade_id.rpartition(":T")[2])
