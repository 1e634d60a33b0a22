"""The simulated traders in one drill step, without the exchange: built from the roster, the order flow the
dealers centre on, the orders they decide in an order drawn from the seed (cross-border buys cut to what
their link can still carry), and a market's opening reference price and band.

The runner (:mod:`carbonlink.drill.runner`) reads the exchange, hands the traders what it shows and posts
what is planned here; nothing here does I/O.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

from carbonlink.drill.agents import KINDS, Agent, Floor
from carbonlink.drill.order_terms import BUY, OrderIntent, Venue
from carbonlink.drill.quota_room import QuotaRoom
from carbonlink.drill.scenario import Scenario
from carbonlink.drill.setup_plan import Member, unit_asset
from shared.money import minor_digits

__all__ = ["FlowOrder", "Lanes", "entity_flow", "flow_order", "make_venue", "opening_reference", "plan_orders",
           "start_agents"]

Lanes = dict[str, list[tuple[Agent, OrderIntent]]]  # instrument → its orders of the step, in posting order


def make_venue(scenario: Scenario, instrument_id: str, *, local_currency: str | None = None,
               credit: Fraction = Fraction(1)) -> Venue:
    """The instrument as a trader of ``local_currency`` (default: its own) sees it."""
    i = scenario.instrument(instrument_id)
    to_local = Fraction(1)
    if local_currency is not None:
        to_local = (scenario.fx[i.currency] / scenario.fx[local_currency]
                    * Fraction(10) ** (minor_digits(local_currency) - minor_digits(i.currency)))
    return Venue(i.id, i.currency, i.tick, i.lot, i.min_qty, i.max_qty, i.fees.taker_bps, to_local, credit)


def start_agents(scenario: Scenario, members: list[Member], keys: Mapping[str, str]) -> list[Agent]:
    """One agent per member, each with its own seeded randomness and its principal's key."""
    agents = []
    for member in members:
        home = make_venue(scenario, member.instrument)
        agents.append(Agent(member=member, logic=KINDS[member.kind](scenario, member, home), home=home,
                            home_asset=unit_asset(scenario, member.instrument),
                            rng=random.Random(f"{scenario.seed}:{member.id}"), api_key=keys[member.principal]))
    return agents


@dataclass(frozen=True)
class FlowOrder:
    """A compliance entity's order as the dealers read the order flow: the intent, and for a buy on a foreign
    book its home instrument and the price per credited tonne in home minor units (what the entity bids for a
    tonne its own market's units would count for just as well)."""

    intent: OrderIntent
    home: str
    home_price: Fraction


def flow_order(intent: OrderIntent, home: Venue, venue: Venue) -> FlowOrder:
    """``intent`` placed on ``venue`` by an entity of ``home``'s market, as the dealers read it."""
    return FlowOrder(intent, home.instrument, intent.price * venue.to_local / venue.credit)


def entity_flow(entity_orders: Mapping[str, FlowOrder], open_orders: Mapping[str, object]
                ) -> tuple[dict[str, FlowOrder], dict[str, tuple[Fraction | None, Fraction | None]]]:
    """The compliance entities' orders still resting (of ``entity_orders``, order id → order), and per
    instrument the best bid and ask among them; a buy resting abroad also bids, converted, on its buyer's home
    book: an importing market's demand is its entities' bids wherever they rest."""
    resting = {i: o for i, o in entity_orders.items() if i in open_orders}
    best: dict[str, tuple[Fraction | None, Fraction | None]] = {}

    def offer(instrument: str, side: str, price: Fraction) -> None:
        bid, ask = best.get(instrument, (None, None))
        if side == BUY:
            bid = price if bid is None else max(bid, price)
        else:
            ask = price if ask is None else min(ask, price)
        best[instrument] = (bid, ask)

    for order in resting.values():
        offer(order.intent.instrument, order.intent.side, Fraction(order.intent.price))
        if order.intent.side == BUY and order.home != order.intent.instrument:
            offer(order.home, BUY, order.home_price)
    return resting, best


def plan_orders(agents: list[Agent], floor: Floor, order_rng: random.Random, room: QuotaRoom,
                homes: Mapping[str, str]) -> Lanes:
    """Every trader decides, in an order drawn from ``order_rng``; a cross-border buy is cut to what its link can
    still carry (see :mod:`carbonlink.drill.quota_room`) and holds that room for the traders after it.

    A buy across a direction with a period cap is good for the step only: it reserves quota every importer
    shares, and a bid left resting below the market for several steps held the whole cap away from importers
    bidding at the market (the pilot drill's Shenzhen → Guangdong arc reached 315 t of 500 that way)."""
    lanes: Lanes = {}
    for agent in order_rng.sample(agents, len(agents)):
        def room_for(venue: Venue, agent: Agent = agent) -> int:
            return room.largest(agent.member.account, homes[venue.instrument], agent.member.registry,
                                quantity=venue.max_qty, lot=venue.lot)

        for intent in agent.decide(floor, room_for):
            origin = homes[intent.instrument]
            if intent.side == BUY and origin != agent.member.registry:
                venue = agent.venues[intent.instrument]
                quantity = room.largest(agent.member.account, origin, agent.member.registry,
                                        quantity=intent.quantity, lot=venue.lot)
                if quantity < venue.min_qty:
                    floor.refusals["DRILL_LINK_QUOTA_FULL"] += 1
                    continue
                intent = replace(intent, quantity=quantity,
                                 for_step=room.shared(origin, agent.member.registry))
                room.hold(agent.member.account, origin, agent.member.registry, quantity)
            lanes.setdefault(intent.instrument, []).append((agent, intent))
    return lanes


def opening_reference(scenario: Scenario, instrument_id: str, close: int) -> tuple[int, tuple[int, int] | None]:
    """A trading day's reference price (the previous close on the tick grid) and the band around it."""
    instrument = scenario.instrument(instrument_id)
    reference = max(instrument.tick, close // instrument.tick * instrument.tick)
    band = None
    if instrument.band is not None:
        low, high = 1 - instrument.band, 1 + instrument.band
        band = (-(-reference * low.numerator // low.denominator), reference * high.numerator // high.denominator)
    return reference, band
