"""A compliance entity's decisions as a simulated trader, pure: what order (if any) it posts each step.

A compliance entity values one more tonne at its marginal abatement cost for the abatement it
would still need: ``slope × (baseline − position)``. Each step it posts one limit order à la
Gode–Sunder zero intelligence constrained by that valuation: a bid drawn just below the value of
the order's last tonne, or an ask drawn just above the cost of abating it. Its order size is drawn
up to what would move its marginal value by a share of the going price (``STEP_SHARE``): an entity
with a flat cost curve, which has many tonnes to trade before its value reaches the market's,
trades in large steps, one with a steep curve in small ones; and a large order is paced, bid (or
asked) at the value of its last tonne, well inside the entity's current marginal value (cut to the size
whose last tonne the venue's daily band can still price, rather than dropped). It buys
wherever a tonne credited towards its obligation is cheapest after conversion (its own market or
a linked foreign one whose link can still carry the order; a market stuck at its limit up after every
market that still offers), sells only its own units, and never
posts beyond the cash or units it has available. It leans (4 steps in 5) to a side its value
suggests: buying when a tonne is cheaper somewhere, selling when its own market pays more;
otherwise it picks a side and a venue at random, so a home market its buyers deserted for a
cheaper linked one still sees bids and its price can follow.

The dealers who trade beside it are in :mod:`carbonlink.drill.dealers`; prices, quotes and the draws in
:mod:`carbonlink.drill.order_terms`. Randomness comes in as a seeded ``random.Random``; no I/O, no clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

from carbonlink.drill.order_terms import (BUY, SELL, OrderIntent, Quote, Venue, affordable, ask_price, bid_price,
                                          ceil_tick, floor_tick)

__all__ = ["ComplianceTrader"]

VALUE_WIDTH = Fraction(5, 100)  # bids are drawn from [value × (1 − width), value], asks likewise above
STEP_SHARE = Fraction(30, 100)  # an entity's order moves its marginal value by at most this share of the price
LEAN = 0.8  # how often an entity takes the side its value suggests against the cheapest known price


@dataclass
class ComplianceTrader:
    """A covered entity for one compliance period (a phase): position = units credited towards it.

    ``value_scale`` turns the MAC slope (major units per tonne per tonne) into local minor units.
    ``units`` are its own market's units it may sell; ``cash`` is per currency, in minor units.
    """

    baseline: int
    slope: Fraction
    value_scale: int
    position: int
    units: int
    cash: dict[str, int] = field(default_factory=dict)

    def step_size(self, value: Fraction, venues: list[Venue], quotes: dict[str, Quote]) -> int:
        """The largest order: what moves its marginal value by ``STEP_SHARE`` of the price (its own value or the
        dearest going price, whichever is higher), so an entity with a flat cost curve trades in large steps
        and one with a steep curve in small ones."""
        level = max(value, *(_credited_cost(v, quotes.get(v.instrument), unknown=Fraction(0)) for v in venues))
        return max(1, math.floor(STEP_SHARE * level / (self.slope * self.value_scale)))

    def marginal_value(self, position: int) -> Fraction:
        """Local minor units per tonne: the MAC at the abatement still needed holding ``position`` units."""
        return self.slope * self.value_scale * max(0, self.baseline - position)

    def decide(self, rng: random.Random, home: Venue | None, abroad: list[Venue],
               quotes: dict[str, Quote]) -> OrderIntent | None:
        """One order or none; ``home`` is None while the home market takes no orders (buy abroad only)."""
        venues = [v for v in (home, *abroad) if v is not None]
        if not venues:
            return None
        lot = venues[0].lot
        value = self.marginal_value(self.position)
        quantity = rng.randint(1, max(1, self.step_size(value, venues, quotes) // lot)) * lot
        sides = [side for side, wanted in (
            (BUY, value > min(_purchase_rank(v, quotes.get(v.instrument)) for v in venues)[1]),
            (SELL, home is not None and value < _credited_cost(home, quotes.get(home.instrument), unknown=Fraction(0))),
        ) if wanted]
        lean = rng.random() < LEAN
        side = rng.choice(sides) if sides and lean else rng.choice((BUY, SELL))
        if home is None or self.units < max(quantity, home.min_qty):
            side = BUY
        if side == SELL:
            return self._sell(rng, home, quantity, quotes.get(home.instrument))
        return self._buy(rng, venues if lean else [rng.choice(venues)], quantity, quotes)

    def _sell(self, rng: random.Random, venue: Venue, quantity: int, quote: Quote | None) -> OrderIntent | None:
        quantity = min(quantity, self.units // venue.lot * venue.lot, venue.max_qty)
        if quote is not None and quote.band is not None:  # no ask above the band's top: sell what it can price
            most = math.floor(floor_tick(quote.band[1], venue.tick) / (self.slope * self.value_scale)) - (
                self.baseline - self.position)
            quantity = min(quantity, most // venue.lot * venue.lot)
        if quantity < venue.min_qty:
            return None
        floor = self.marginal_value(self.position - quantity)
        price = ask_price(rng, venue, floor, quote.band if quote else None, VALUE_WIDTH)
        return None if price is None else OrderIntent(venue.instrument, SELL, price, quantity)

    def _buy(self, rng: random.Random, venues: list[Venue], quantity: int, quotes: dict[str, Quote]) -> OrderIntent | None:
        venue = min(venues, key=lambda v: _purchase_rank(v, quotes.get(v.instrument)))
        quote = quotes.get(venue.instrument)
        quantity = min(quantity // venue.lot * venue.lot, venue.max_qty)
        if quote is not None and quote.band is not None:  # no bid below the band's bottom: buy what it can price
            lowest = Fraction(ceil_tick(quote.band[0], venue.tick)) * venue.to_local / venue.credit
            credited = self.baseline - self.position - math.ceil(lowest / (self.slope * self.value_scale))
            quantity = min(quantity, math.floor(max(0, credited) / venue.credit) // venue.lot * venue.lot)
        value = self.marginal_value(self.position + math.floor(quantity * venue.credit))
        if quantity < venue.min_qty or value <= 0:
            return None
        ceiling = value * venue.credit / venue.to_local
        price = bid_price(rng, venue, ceiling, quote.band if quote else None, VALUE_WIDTH)
        if price is None:
            return None
        quantity = affordable(venue, price, quantity, self.cash.get(venue.currency, 0))
        return OrderIntent(venue.instrument, BUY, price, quantity) if quantity else None


def _purchase_rank(venue: Venue, quote: Quote | None) -> tuple[bool, Fraction]:
    """How a buyer ranks a venue: markets that offer first, then markets stuck at their limit up (bids at the
    band's top, no ask), each by what a credited tonne costs there.

    A stuck market still sells, but only to the bids queued at its limit price as sellers come, so a buyer
    prefers any market that offers; when every venue it may use is stuck, it joins the cheapest queue (ranking
    them alike sent it home by default, away from a cheaper linked market that went on selling to its queue)."""
    stuck = (quote is not None and quote.band is not None and quote.ask is None and quote.bid is not None
             and quote.bid >= floor_tick(quote.band[1], venue.tick))
    return stuck, _credited_cost(venue, quote)


def _credited_cost(venue: Venue, quote: Quote | None, *, unknown: Fraction = Fraction(10**18)) -> Fraction:
    """Local minor units per credited tonne at the venue's last (else reference) price, else ``unknown``."""
    anchor = quote.anchor if quote else None
    if anchor is None:
        return unknown
    return anchor * venue.to_local / venue.credit
