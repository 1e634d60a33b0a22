"""Manipulators in drills: a trader kind that, on a schedule, does what market oversight must catch — wash
trades between two accounts of one owner, spoofing, marking the close, a cross-border round trip — through
the same HTTP API as every simulated trader. And the drill's side of oversight: surveillance thresholds scaled
to a drill's compressed days, and the alerts raised in each phase for the report.

A manipulator owns accounts ``a`` and ``b`` (recorded as one ownership group, as an operator who knows would),
``c`` (a colluder the operator does not know about) in its home registry, and ``x`` in a linked registry (a
foreign colluder, for the round trip). Each act runs once, in the drill step at its fraction of its phase's day
(marking the close: in the day's last step), after the simulated traders' orders of that step.
"""

from __future__ import annotations

import asyncio
import html
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from carbonlink.drill.apply import call_api
from carbonlink.drill.manipulation_spec import ManipulatorSpec
from carbonlink.drill.schedule import business_ms
from carbonlink.drill.setup_plan import ApiCall
from shared.money import from_minor, to_minor

CASH = "10000000.00"
UNITS = 100_000
SPOOF_QUANTITY = 20_000  # far above any simulated trader's order
ORDER_WAIT_S = 10.0
JUDGED_WAIT_S = 60.0


@dataclass(frozen=True)
class Market:
    instrument: str
    registry: str
    currency: str
    origin: str


@dataclass
class Manipulator:
    spec: ManipulatorSpec
    home: Market
    abroad: Market | None
    accounts: dict[str, str]
    http: httpx.AsyncClient
    key: dict[str, str]
    scenario: Any
    done: set[int]

    async def _book(self, market: Market) -> tuple[int | None, int | None]:
        book = (await self.http.get(f"/v1/markets/{market.instrument}/book", headers=self.key)).json()
        best = {side: [to_minor(level["price"], market.currency) for level in book.get(side, [])]
                for side in ("bids", "asks")}
        return max(best["bids"], default=None), min(best["asks"], default=None)

    async def _last(self, market: Market) -> int:
        trades = (await self.http.get(f"/v1/markets/{market.instrument}/trades", params={"limit": 1}, headers=self.key)).json()
        if trades:
            return to_minor(trades[0]["price"], market.currency)
        instrument = (await self.http.get("/v1/instruments", headers=self.key)).json()
        found = next(i for i in instrument if i["id"] == market.instrument)
        return to_minor(found["reference_price"], market.currency)

    async def _order(self, market: Market, account: str, side: str, quantity: int, price: int, *,
                     tif: str = "GTC") -> dict[str, Any] | None:
        body = {"instrument": market.instrument, "account": self.accounts[account], "side": side, "type": "LIMIT",
                "time_in_force": tif, "price": from_minor(price, market.currency), "quantity": quantity,
                "client_order_id": f"m-{secrets.token_hex(6)}"}
        response = await self.http.post("/v1/orders", json=body, headers=self.key)
        return response.json() if response.status_code == 201 else None

    async def _until(self, order: dict[str, Any] | None, statuses: set[str]) -> bool:
        if order is None:
            return False
        deadline = time.monotonic() + ORDER_WAIT_S
        while time.monotonic() < deadline:
            response = await self.http.get(f"/v1/orders/{order['order_id']}", headers=self.key)
            if response.status_code == 200 and response.json()["status"] in statuses:
                return True
            await asyncio.sleep(0.02)
        return False

    async def _cross(self, market: Market, seller: str, buyer: str, quantity: int) -> None:
        """``seller`` rests an ask inside the spread (so it is the best), ``buyer`` takes it."""
        bid, ask = await self._book(market)
        last = await self._last(market)
        price = last if bid is None else bid + 1
        if ask is not None and price >= ask:
            price = ask
        resting = await self._order(market, seller, "SELL", quantity, price)
        if await self._until(resting, {"NEW", "PARTIALLY_FILLED", "FILLED"}):
            await self._order(market, buyer, "BUY", quantity, price, tif="IOC")

    # --- the acts --------------------------------------------------------------------------------------------

    async def wash(self) -> None:
        await self._cross(self.home, "b", "a", self.spec.quantity)

    async def spoof(self) -> None:
        """Three bids far larger than anyone's, at the touch, each withdrawn unfilled; then a sale into the bids."""
        for _ in range(3):
            bid, _ = await self._book(self.home)
            price = bid if bid is not None else await self._last(self.home)
            order = await self._order(self.home, "b", "BUY", SPOOF_QUANTITY, price)
            if await self._until(order, {"NEW"}):
                await self.http.delete(f"/v1/orders/{order['order_id']}", headers=self.key)  # type: ignore[index]
                await self._until(order, {"CANCELLED", "FILLED"})
        bid, _ = await self._book(self.home)
        if bid is not None:
            await self._order(self.home, "a", "SELL", self.spec.quantity, bid,
                              tif="IOC")

    async def mark_close(self) -> None:
        """Just before the close: the colluder offers at four steps up to 8% above the last price, and ``a``
        buys everything offered up to there in one sweep."""
        last = await self._last(self.home)
        steps = [last * (100 + up) // 100 for up in (2, 4, 6, 8)]
        book = (await self.http.get(f"/v1/markets/{self.home.instrument}/book", headers=self.key)).json()
        offered = sum(level["quantity"] for level in book.get("asks", [])
                      if to_minor(level["price"], self.home.currency) <= steps[-1])
        asks = [await self._order(self.home, "c", "SELL", self.spec.quantity, price) for price in steps]
        if all([await self._until(ask, {"NEW"}) for ask in asks]):
            await self._order(self.home, "a", "BUY", offered + self.spec.quantity * len(steps), steps[-1], tif="IOC")

    async def round_trip(self) -> None:
        """Units out to the foreign colluder on the home market, and back from it on the foreign market."""
        assert self.abroad is not None
        await self._cross(self.home, "a", "x", self.spec.quantity)
        await self._cross(self.abroad, "x", "a", self.spec.quantity)

    async def act(self, window: Any, step: Any, *, last: bool) -> None:
        """Run the acts due at this step of the drill: each once, in its phase and day, from its time of day."""
        start = business_ms(self.scenario, window.day, 0)
        fraction = (step.at - start) / (business_ms(self.scenario, window.day, 1) - start)
        for index, planned in enumerate(self.spec.schedule):
            due = last if planned.act == "mark_close" else fraction >= planned.at
            if (index in self.done or (planned.phase, planned.day) != (window.phase.name, window.day - window.phase.start_day)
                    or not due):
                continue
            self.done.add(index)
            await getattr(self, planned.act)()


async def act(cheats: list[Manipulator], window: Any, step: Any, *, last: bool) -> None:
    for cheat in cheats:
        await cheat.act(window, step, last=last)


def _market(scenario: Any, instrument_id: str) -> Market:
    instrument = scenario.instrument(instrument_id)
    return Market(instrument.id, instrument.registry, instrument.currency, instrument.unit.origin)


async def prepare(operator: httpx.AsyncClient, scenario: Any, http: httpx.AsyncClient, *,
                  tag: str) -> list[Manipulator]:
    """Fit the close-marking window to the drill's steps (all trades of a step share its business time, so
    "the last minutes" are the last step), and open the manipulators' accounts with cash and units."""
    step_ms = scenario.clock.step_minutes * 60_000
    await call_api(operator, ApiCall("PUT", "/v1/admin/surveillance-thresholds", {"close_window_ms": step_ms}))
    found = []
    for spec in getattr(scenario, "manipulators", []):
        home = _market(scenario, spec.instrument)
        abroad = _market(scenario, spec.abroad_instrument) if spec.abroad_instrument else None
        principal = f"{tag}{spec.name}"
        created = await call_api(operator, ApiCall("POST", "/v1/admin/keys",
                                                   {"principal": principal, "role": "trader"}))
        accounts = {role: f"{home.registry}/{principal}-{role}" for role in "abc"}
        if abroad is not None:
            accounts["x"] = f"{abroad.registry}/{principal}-x"
        for role, account in accounts.items():
            market = abroad if role == "x" and abroad is not None else home
            await call_api(operator, ApiCall("POST", "/v1/admin/accounts",
                                             {"id": account, "holder": principal, "principals": [principal]}))
            await call_api(operator, ApiCall("POST", "/v1/admin/deposits", {
                "account": account, "currency": home.currency, "amount": CASH,
                "reference": f"{principal}-{role}-cash"}))
            await call_api(operator, ApiCall("POST", "/v1/admin/issuances", {
                "account": account, "origin": market.registry, "unit_type": "ALLOWANCE", "vintage": 2025,
                "quantity": UNITS, "reference": f"{principal}-{role}-units"}))
        await call_api(operator, ApiCall("PUT", f"/v1/admin/ownership-groups/{principal}",
                                         {"accounts": [accounts["a"], accounts["b"]]}))
        found.append(Manipulator(spec, home, abroad, accounts, http, {"X-API-Key": created["api_key"]}, scenario,
                                 set()))
    return found


async def alert_ids(operator: httpx.AsyncClient) -> set[str]:
    """The alerts on record now: an earlier drill on the same stack (same business calendar) raised them."""
    response = await operator.get("/v1/admin/alerts", params={"limit": 500})
    return {alert["alert_id"] for alert in response.json()["alerts"]} if response.status_code == 200 else set()


async def alerts_per_phase(operator: httpx.AsyncClient, days: list[Any], *,
                           earlier: Collection[str] = frozenset()) -> dict[str, dict[str, int]]:
    """The surveillance alerts raised while the drill ran (not ``earlier``), counted by phase and code (every phase
    listed), once oversight has judged the order events up to the drill's last close (or after a minute, what it
    has)."""
    deadline = time.monotonic() + JUDGED_WAIT_S
    while True:
        response = await operator.get("/v1/admin/alerts", params={"limit": 500})
        page = response.json() if response.status_code == 200 else {"alerts": [], "judged_until": None}
        caught_up = not days or (page["judged_until"] or 0) >= days[-1].end
        if caught_up or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    alerts = page["alerts"]
    counts: dict[str, dict[str, int]] = {day.phase: {} for day in days}
    for alert in (alert for alert in alerts if alert["alert_id"] not in earlier):
        phase = next((day.phase for day in days if day.start <= alert["raised_at"] <= day.end), None)
        if phase is not None:
            counts[phase][alert["code"]] = counts[phase].get(alert["code"], 0) + 1
    return counts


def report_alerts(out: Path, summary: dict[str, Any], counts: dict[str, dict[str, int]]) -> None:
    """Add the alerts per phase to the report's summary and page."""
    summary["alerts_per_phase"] = counts
    (out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2, default=str))
    listed = {phase: ", ".join(f"{code} × {n}" for code, n in sorted(found.items())) or "none"
              for phase, found in counts.items()}
    rows = "".join(f"<tr><td>{html.escape(phase)}</td><td>{html.escape(text)}</td></tr>" for phase, text in listed.items())
    section = f"<h2>Surveillance alerts per phase</h2><table><tr><th>phase</th><th>alerts</th></tr>{rows}</table>"
    page = out / "report.html"
    if page.exists():
        page.write_text(page.read_text().replace("</body>", section + "</body>", 1))
