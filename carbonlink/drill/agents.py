"""Simulated traders as API clients: each posts its decisions over HTTP (`POST /v1/orders`) with its own key.

After every step the drill hands each trader what the exchange then shows: its balances from the ledger
(units and cash available and reserved) and every market's book. So a trader's position is the ledger's,
never its own guess: a cross-border purchase the bridge refused simply never arrives, and a refused sale
leaves the seller its units. Decisions are the pure ones of :mod:`carbonlink.drill.traders` and
:mod:`carbonlink.drill.dealers`; a new kind of trader is a new entry in :data:`KINDS` (how to build its
logic) and a ``decide`` there.

:class:`Floor` is what the traders share: the markets' quotes, the foreign venues the phase opens, whether
dealers unwind, the order and refusal counts.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from carbonlink.drill.dealers import MarketMaker, NoiseTrader
from carbonlink.drill.order_terms import OrderIntent, Quote, Venue
from carbonlink.drill.scenario import Scenario
from carbonlink.drill.setup_plan import Member, dealer_units
from carbonlink.drill.traders import ComplianceTrader
from shared.money import from_minor, minor_digits

__all__ = ["KINDS", "Agent", "Floor", "Posted", "post_lane"]

Logic = ComplianceTrader | MarketMaker | NoiseTrader
Holdings = dict[str, tuple[int, int]]  # asset → (available, reserved)
SEND_ATTEMPTS = 5  # an order whose answer is lost is sent again (same client order id) up to this often


@dataclass
class Floor:
    quotes: dict[str, Quote] = field(default_factory=dict)
    abroad: dict[str, list[Venue]] = field(default_factory=dict)  # registry → foreign venues open to it
    open_instruments: set[str] = field(default_factory=set)  # instruments taking orders now
    flatten: bool = False  # the close of a compliance period: dealers only unwind inventory
    refusals: Counter[str] = field(default_factory=Counter)
    orders: int = 0


def _compliance(scenario: Scenario, member: Member, home: Venue) -> Logic:
    entity = member.entity
    assert entity is not None
    return ComplianceTrader(baseline=entity.baseline, slope=entity.slope,
                            value_scale=10 ** minor_digits(home.currency), position=entity.allocation,
                            units=entity.allocation)


def _maker(scenario: Scenario, member: Member, home: Venue) -> Logic:
    spec = next(g for g in scenario.traders if g.instrument == member.instrument).market_makers
    assert spec is not None
    units = dealer_units(scenario, member)
    return MarketMaker(spec.spread, spec.size, units, 0, units)


def _noise(scenario: Scenario, member: Member, home: Venue) -> Logic:
    spec = next(g for g in scenario.traders if g.instrument == member.instrument).noise
    assert spec is not None
    units = dealer_units(scenario, member)
    per_step = spec.rate * scenario.clock.step_minutes / 60  # orders per business hour → per step
    return NoiseTrader(min(1.0, float(per_step)), spec.size, units, 0, units)


#: How each kind of member gets its decision logic.
KINDS: dict[str, Callable[[Scenario, Member, Venue], Logic]] = {
    "compliance": _compliance, "maker": _maker, "noise": _noise}


@dataclass(frozen=True)
class Posted:
    order_id: str
    intent: OrderIntent
    account: str


class Agent:
    """One simulated trader: its decision logic, its seeded randomness and its key."""

    def __init__(self, *, member: Member, logic: Logic, home: Venue, home_asset: str, rng: random.Random,
                 api_key: str) -> None:
        self.member, self.logic, self.home, self.home_asset, self.rng = member, logic, home, home_asset, rng
        self.headers = {"X-API-Key": api_key}
        self.venues: dict[str, Venue] = {home.instrument: home}
        self._sequence = 0

    def observe(self, holdings: Holdings, *, phase_start: bool = False) -> None:
        """The ledger's view of the account after a step (``phase_start``: dealers' inventory is re-based)."""
        logic = self.logic
        home_available, home_reserved = holdings.get(self.home_asset, (0, 0))
        cash = {asset[2:]: available for asset, (available, _) in holdings.items() if asset.startswith("C:")}
        if isinstance(logic, ComplianceTrader):
            logic.position = sum(a + r for asset, (a, r) in holdings.items() if asset.startswith("U:"))
            logic.units = home_available
            logic.cash = cash
            return
        logic.units = home_available + home_reserved
        logic.available = home_available
        logic.cash = cash.get(self.home.currency, 0)
        if phase_start:
            logic.start_units = logic.units

    def decide(self, floor: Floor, room: Callable[[Venue], int] | None = None) -> list[OrderIntent]:
        """This step's orders; ``room(venue)``: the most a cross-border buy there may still take (a buyer
        only looks abroad where the link can still carry at least the venue's minimum order)."""
        logic = self.logic
        if isinstance(logic, ComplianceTrader):
            abroad = [v for v in floor.abroad.get(self.member.registry, []) if v.instrument in floor.open_instruments
                      and (room is None or room(v) >= v.min_qty)]
            self.venues.update({venue.instrument: venue for venue in abroad})
            if self.home.instrument not in floor.open_instruments and not abroad:
                return []
            home = self.home if self.home.instrument in floor.open_instruments else None
            intent = logic.decide(self.rng, home, abroad, floor.quotes)
            return [intent] if intent else []
        if self.home.instrument not in floor.open_instruments:
            return []
        quote = floor.quotes.get(self.home.instrument, Quote(None, None))
        if isinstance(logic, MarketMaker):
            return logic.decide(self.home, quote, flatten=floor.flatten)
        intent = logic.decide(self.rng, self.home, quote, flatten=floor.flatten)
        return [intent] if intent else []

    def order_body(self, intent: OrderIntent, *, expire_at: int) -> dict[str, Any]:
        venue = self.venues[intent.instrument]
        self._sequence += 1
        return {"instrument": intent.instrument, "account": self.member.account, "side": intent.side,
                "type": "LIMIT", "time_in_force": "GTD", "expire_at": expire_at,
                "price": from_minor(intent.price, venue.currency), "quantity": intent.quantity,
                "client_order_id": f"o{self._sequence}"}


async def post_lane(http: httpx.AsyncClient, lane: list[tuple[Agent, OrderIntent]], floor: Floor, *,
                    expire_at: int) -> list[Posted]:
    """Post one instrument's orders of a step one after another, in the step's trader order.

    An order whose answer was lost in transit (a kept-alive connection the server closed while the drill
    waited out a long step, a timeout under load) is sent again with the same ``client_order_id``: order
    entry answers a repeat with the order it accepted, so whether an order exists never depends on timing."""
    posted = []
    for agent, intent in lane:
        body = agent.order_body(intent, expire_at=expire_at)
        response = await _send(http, body, agent.headers)
        if response.status_code >= 300:
            try:
                code = response.json().get("code", str(response.status_code))
            except ValueError:
                code = str(response.status_code)
            floor.refusals[code] += 1
            continue
        floor.orders += 1
        posted.append(Posted(response.json()["order_id"], intent, agent.member.account))
    return posted


async def _send(http: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    """The answer to ``body``; raises the last transport error when none came in ``SEND_ATTEMPTS`` (the order may
    exist unseen, so the drill cannot go on deterministically)."""
    for _ in range(SEND_ATTEMPTS - 1):
        try:
            return await http.post("/v1/orders", json=body, headers=headers)
        except httpx.TransportError:
            continue
    return await http.post("/v1/orders", json=body, headers=headers)
