"""Simulated traders as API clients: each posts its decisions over HTTP (`POST /v1/orders`) with its own
key and learns its fills from its own WebSocket (`/v1/stream` execution reports), like a real trader.

The state the traders share lives in :class:`Floor`: whether the markets are open, what each trader
knows of the prices (fed by the runner's recorder), the foreign venues the current phase opens, and
the refusal counts. Decisions are the pure ones of :mod:`carbonlink.drill.traders`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import orjson
import websockets

from carbonlink.drill.setup_plan import Member
from carbonlink.drill.traders import BUY, ComplianceTrader, MarketMaker, NoiseTrader, OrderIntent, Quote, Venue
from shared.money import from_minor, to_minor

__all__ = ["Agent", "Floor", "cancel_quietly"]

log = logging.getLogger(__name__)


@dataclass
class Floor:
    round_seconds: float
    flatten: bool = False  # the close of a compliance period: dealers only unwind inventory
    trading: asyncio.Event = field(default_factory=asyncio.Event)
    quotes: dict[str, Quote] = field(default_factory=dict)
    abroad: dict[str, list[Venue]] = field(default_factory=dict)  # registry → foreign venues open to it
    refusals: Counter[str] = field(default_factory=Counter)
    orders: int = 0


class Agent:
    """One simulated trader: its decision logic, its HTTP client and its execution-report stream."""

    def __init__(self, *, member: Member, logic: ComplianceTrader | MarketMaker | NoiseTrader, home: Venue,
                 home_asset: str, rng: random.Random, http: httpx.AsyncClient, stream_url: str, api_key: str) -> None:
        self.member, self.logic, self.home, self.home_asset, self.rng = member, logic, home, home_asset, rng
        self.http, self.stream_url, self.api_key = http, stream_url, api_key
        self.venues: dict[str, Venue] = {home.instrument: home}
        self.open_orders: list[str] = []
        self.last_round: list[str] = []  # posted in the last round: they rest one more round
        self.foreign_orders: list[str] = []  # posted on foreign venues since the last close
        self.connected = asyncio.Event()
        self._sequence = 0
        self._headers = {"X-API-Key": api_key}

    # --- decisions over HTTP -----------------------------------------------------------------------------

    async def _book_quote(self, floor: Floor) -> Quote:
        """The floor's quote with the book's best bid and ask (dealers read the book before quoting)."""
        quote = floor.quotes.get(self.home.instrument, Quote(None, None))
        book = await self._request("GET", f"/v1/markets/{self.home.instrument}/book?depth=1", floor)
        if book is None:
            return quote
        best = {side: to_minor(book[side][0]["price"], self.home.currency) if book[side] else None
                for side in ("bids", "asks")}
        return replace(quote, bid=best["bids"], ask=best["asks"])

    async def _decide(self, floor: Floor) -> list[OrderIntent]:
        logic = self.logic
        if isinstance(logic, ComplianceTrader):
            quote = floor.quotes.get(self.home.instrument, Quote(None, None))
        else:
            quote = await self._book_quote(floor)
        if isinstance(logic, ComplianceTrader):
            abroad = floor.abroad.get(self.member.registry, [])
            self.venues.update({venue.instrument: venue for venue in abroad})
            intent = logic.decide(self.rng, self.home, abroad, floor.quotes)
            return [intent] if intent else []
        if isinstance(logic, MarketMaker):
            return logic.decide(self.home, quote, flatten=floor.flatten)
        intent = logic.decide(self.rng, self.home, quote, flatten=floor.flatten)
        return [intent] if intent else []

    async def trade(self, floor: Floor) -> None:
        """Each round while the markets are open: withdraw the orders of the round before last, decide, post.

        Orders rest two rounds, so a book holds two rounds of orders and more of them meet."""
        await asyncio.sleep(self.rng.uniform(0, floor.round_seconds))
        while True:
            if not floor.trading.is_set():
                self.open_orders.clear()  # the runner mass-cancels at the close (or judges them at a suspension)
                await floor.trading.wait()
            withdrawn = [order_id for order_id in self.open_orders if order_id not in self.last_round]
            self.open_orders = [order_id for order_id in self.open_orders if order_id in self.last_round]
            cancels = [self._request("DELETE", f"/v1/orders/{order_id}", floor, expect_refusal=True)
                       for order_id in withdrawn]
            *_, intents = await asyncio.gather(*cancels, self._decide(floor))
            posted = await asyncio.gather(*(self._post(intent, floor) for intent in intents))
            self.last_round = [order_id for order_id in posted if order_id is not None]
            await asyncio.sleep(floor.round_seconds * self.rng.uniform(0.6, 1.4))

    async def _post(self, intent: OrderIntent, floor: Floor) -> str | None:
        venue = self.venues[intent.instrument]
        self._sequence += 1
        body = {"instrument": intent.instrument, "account": self.member.account, "side": intent.side,
                "type": "LIMIT", "time_in_force": "GTC", "price": from_minor(intent.price, venue.currency),
                "quantity": intent.quantity, "client_order_id": f"o{self._sequence}"}
        answer = await self._request("POST", "/v1/orders", floor, json=body)
        if answer is not None:
            floor.orders += 1
            self.open_orders.append(answer["order_id"])
            if venue is not self.home:
                self.foreign_orders.append(answer["order_id"])
            return answer["order_id"]
        return None

    async def _request(self, method: str, path: str, floor: Floor, *, expect_refusal: bool = False,
                       json: dict[str, Any] | None = None) -> dict[str, Any] | None:
        try:
            response = await self.http.request(method, path, json=json, headers=self._headers)
        except httpx.HTTPError as err:
            floor.refusals[f"HTTP_{type(err).__name__}"] += 1
            return None
        if response.status_code >= 300:
            if not expect_refusal:
                try:
                    code = response.json().get("code", str(response.status_code))
                except ValueError:
                    code = str(response.status_code)
                floor.refusals[code] += 1
            return None
        return response.json()

    async def sync(self) -> None:
        """Take units and cash from the ledger (at a phase start, with no order open)."""
        floor = Floor(round_seconds=0)
        view = await self._request("GET", f"/v1/accounts/{self.member.account}", floor)
        if view is None:  # a dropped keep-alive connection: one retry
            view = await self._request("GET", f"/v1/accounts/{self.member.account}", floor)
        if view is None:
            return
        units = sum(line["available"] for line in view["holdings"] if line["asset"] == self.home_asset)
        cash = {ccy: to_minor(line["available"], ccy) for ccy, line in view["cash"].items()}
        logic = self.logic
        if isinstance(logic, ComplianceTrader):
            logic.units = logic.position = units
            logic.cash = cash
        else:
            logic.units = units
            logic.cash = cash.get(self.home.currency, 0)

    # --- fills from the WebSocket ------------------------------------------------------------------------

    async def listen(self) -> None:
        """Keep a WebSocket open and book this account's fills (and refused cross-border deliveries)."""
        while True:
            try:
                async with websockets.connect(self.stream_url, additional_headers={"X-API-Key": self.api_key},
                                              max_queue=None) as socket:
                    self.connected.set()
                    async for raw in socket:
                        self.on_event(orjson.loads(raw))
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the stream is best effort: reconnect
                log.warning("%s: stream lost (%s), reconnecting", self.member.id, err)
                await asyncio.sleep(0.5)

    def on_event(self, item: dict[str, Any]) -> None:
        kind, data = item.get("type"), item.get("data") or {}
        if kind not in ("TradeExecuted", "TradeFailed"):
            return
        account = self.member.account
        buyer, seller = data.get("buy_account") == account, data.get("sell_account") == account
        if buyer == seller:
            return
        side = BUY if buyer else "SELL"
        venue = self.venues.get(data.get("instrument", ""))
        if venue is None:
            return
        logic = self.logic
        if kind == "TradeExecuted":
            leaves = data.get("buy_leaves_quantity" if buyer else "sell_leaves_quantity")
            order_id = data.get("buy_order_id" if buyer else "sell_order_id")
            if leaves == 0 and order_id in self.open_orders:
                self.open_orders.remove(order_id)  # filled: nothing to withdraw
            if isinstance(logic, ComplianceTrader):
                logic.filled(venue, side, int(data["price"]), int(data["quantity"]))
            else:
                logic.filled(side, int(data["price"]), int(data["quantity"]))
        elif isinstance(logic, ComplianceTrader) and venue is not self.home:
            logic.refused(venue, side, int(data["quantity"]))


async def cancel_quietly(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
