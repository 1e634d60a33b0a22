"""Simulated traders' decisions, pure: what order (if any) each kind of trader posts each step.

- A compliance entity values one more tonne at its marginal abatement cost for the abatement it
  would still need: ``slope × (baseline − position)``. Each step it posts one limit order à la
  Gode–Sunder zero intelligence constrained by that valuation: a bid drawn just below the value of
  the order's last tonne, or an ask drawn just above the cost of abating it. Its order size is drawn
  up to what would move its marginal value by a share of the going price (``STEP_SHARE``): an entity
  with a flat cost curve, which has many tonnes to trade before its value reaches the market's,
  trades in large steps, one with a steep curve in small ones; and a large order is paced, bid (or
  asked) at the value of its last tonne, well inside the entity's current marginal value. It buys
  wherever a tonne credited towards its obligation is cheapest after conversion (its own market or
  a linked foreign one whose link can still carry the order), sells only its own units, and never
  posts beyond the cash or units it has available. It leans (4 steps in 5) to a side its value
  suggests: buying when a tonne is cheaper somewhere, selling when its own market pays more;
  otherwise it picks a side and a venue at random, so a home market its buyers deserted for a
  cheaper linked one still sees bids and its price can follow.
- The dealers follow the order flow, not the last print: a market maker quotes both sides around
  the middle of the compliance entities' best resting bid and ask (:attr:`Quote.centre`), skewed
  against its inventory; a noise trader now and then posts a small order near that centre, leaning
  back towards a flat inventory. Quoting around the book including their own quotes, or around the
  last trade, the dealers kept trading with each other at a stale price long after the entities had
  moved on.
- Towards the end of a compliance period both dealers only unwind their inventory, so the units
  end up with the entities that need them.

Prices are integer minor units per tonne of the venue's currency; valuations are exact Fractions in
the entity's local minor units. Randomness comes in as a seeded ``random.Random``; no I/O, no clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

__all__ = [
    "BUY",
    "SELL",
    "ComplianceTrader",
    "MarketMaker",
    "NoiseTrader",
    "OrderIntent",
    "Quote",
    "Venue",
    "buy_cost",
]

BUY, SELL = "BUY", "SELL"
VALUE_WIDTH = Fraction(5, 100)  # bids are drawn from [value × (1 − width), value], asks likewise above
NOISE_WIDTH = Fraction(2, 100)  # noise orders lie within ±2% of the order flow's centre
STEP_SHARE = Fraction(30, 100)  # an entity's order moves its marginal value by at most this share of the price
LEAN = 0.8  # how often an entity takes the side its value suggests against the cheapest known price


@dataclass(frozen=True)
class Venue:
    """An instrument a trader may use: its rules, its currency, and what one tonne bought there is worth.

    ``to_local``: local minor units per minor unit of the venue's currency (1 at home).
    ``credit``: units credited towards the obligation per tonne bought (1 at home; a link's rate abroad).
    """

    instrument: str
    currency: str
    tick: int
    lot: int
    min_qty: int
    max_qty: int
    taker_bps: int = 0
    to_local: Fraction = Fraction(1)
    credit: Fraction = Fraction(1)


@dataclass(frozen=True)
class Quote:
    """What a trader knows of a market: the last trade, the reference price, the band around it, the best
    bid and ask resting in the book, and the best bid and ask of the compliance entities' resting orders."""

    last: int | None
    reference: int | None
    band: tuple[int, int] | None = None
    bid: int | None = None
    ask: int | None = None
    flow_bid: int | None = None  # the best bid and ask of the compliance entities' resting orders
    flow_ask: int | None = None

    @property
    def centre(self) -> Fraction | None:
        """Where the order flow says the market is: the middle of the entities' best bid and ask, else the
        anchor moved inside whichever of them rests."""
        if self.flow_bid is not None and self.flow_ask is not None and self.flow_bid <= self.flow_ask:
            return Fraction(self.flow_bid + self.flow_ask, 2)
        anchor = self.anchor
        if anchor is None:
            return None
        if self.flow_ask is not None:
            anchor = min(anchor, self.flow_ask)
        if self.flow_bid is not None:
            anchor = max(anchor, self.flow_bid)
        return Fraction(anchor)

    @property
    def anchor(self) -> int | None:
        """The last price (else the reference), moved inside the best bid and ask when it lies outside them."""
        anchor = self.last if self.last is not None else self.reference
        if anchor is None:
            return None
        if self.ask is not None:
            anchor = min(anchor, self.ask)
        if self.bid is not None:
            anchor = max(anchor, self.bid)
        return anchor


@dataclass(frozen=True)
class OrderIntent:
    instrument: str
    side: str
    price: int
    quantity: int


def buy_cost(venue: Venue, price: int, quantity: int) -> int:
    """Cash to set aside for a buy: price × quantity plus the taker fee, rounded up, plus one minor unit."""
    return math.ceil(Fraction(price * quantity) * (1 + Fraction(venue.taker_bps, 10_000))) + 1


def _floor_tick(price: Fraction | int, tick: int) -> int:
    return math.floor(Fraction(price) / tick) * tick


def _ceil_tick(price: Fraction | int, tick: int) -> int:
    return math.ceil(Fraction(price) / tick) * tick


def _bid_price(rng: random.Random, venue: Venue, ceiling: Fraction, band: tuple[int, int] | None,
               width: Fraction) -> int | None:
    """A bid drawn from [ceiling × (1 − width), ceiling] on the tick grid, clipped to the band; None if none fits.

    A ceiling above the band bids the band's top (limit up): the buyer still wants every tonne it can get there.
    """
    high = _floor_tick(ceiling, venue.tick)
    low = max(venue.tick, _ceil_tick(ceiling * (1 - width), venue.tick))
    if band is not None:
        high = min(high, _floor_tick(band[1], venue.tick))
        low = min(high, max(low, _ceil_tick(band[0], venue.tick)))
        if high < _ceil_tick(band[0], venue.tick):
            return None
    if high < low or high < venue.tick:
        return None
    return low + rng.randint(0, (high - low) // venue.tick) * venue.tick


def _ask_price(rng: random.Random, venue: Venue, floor: Fraction, band: tuple[int, int] | None,
               width: Fraction) -> int | None:
    """An ask drawn from [floor, floor × (1 + width)] on the tick grid, clipped to the band; None if none fits.

    A floor below the band asks the band's bottom (limit down).
    """
    low = max(venue.tick, _ceil_tick(floor, venue.tick))
    high = _floor_tick(floor * (1 + width), venue.tick)
    if band is not None:
        low = max(low, _ceil_tick(band[0], venue.tick))
        high = max(low, min(high, _floor_tick(band[1], venue.tick)))
        if low > _floor_tick(band[1], venue.tick):
            return None
    if high < low:
        return None
    return low + rng.randint(0, (high - low) // venue.tick) * venue.tick


def _affordable(venue: Venue, price: int, quantity: int, cash: int) -> int:
    """The largest multiple of the lot, at most ``quantity``, whose buy reservation fits in ``cash``."""
    while quantity >= venue.min_qty and buy_cost(venue, price, quantity) > cash:
        quantity = (quantity // 2) // venue.lot * venue.lot
    return quantity if quantity >= venue.min_qty else 0


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
            (BUY, value > min(_purchase_cost(v, quotes.get(v.instrument)) for v in venues)),
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
        if quantity < venue.min_qty:
            return None
        floor = self.marginal_value(self.position - quantity)
        price = _ask_price(rng, venue, floor, quote.band if quote else None, VALUE_WIDTH)
        return None if price is None else OrderIntent(venue.instrument, SELL, price, quantity)

    def _buy(self, rng: random.Random, venues: list[Venue], quantity: int, quotes: dict[str, Quote]) -> OrderIntent | None:
        venue = min(venues, key=lambda v: _purchase_cost(v, quotes.get(v.instrument)))
        quantity = min(quantity // venue.lot * venue.lot, venue.max_qty)
        value = self.marginal_value(self.position + math.floor(quantity * venue.credit))
        if quantity < venue.min_qty or value <= 0:
            return None
        ceiling = value * venue.credit / venue.to_local
        quote = quotes.get(venue.instrument)
        price = _bid_price(rng, venue, ceiling, quote.band if quote else None, VALUE_WIDTH)
        if price is None:
            return None
        quantity = _affordable(venue, price, quantity, self.cash.get(venue.currency, 0))
        return OrderIntent(venue.instrument, BUY, price, quantity) if quantity else None


def _purchase_cost(venue: Venue, quote: Quote | None) -> Fraction:
    """What a credited tonne costs a buyer there; a market stuck at its limit up (bids at the band's top, no
    ask) sells nothing, however cheap its last price looks."""
    if (quote is not None and quote.band is not None and quote.ask is None and quote.bid is not None
            and quote.bid >= _floor_tick(quote.band[1], venue.tick)):
        return Fraction(10**18)
    return _credited_cost(venue, quote)


def _credited_cost(venue: Venue, quote: Quote | None, *, unknown: Fraction = Fraction(10**18)) -> Fraction:
    """Local minor units per credited tonne at the venue's last (else reference) price, else ``unknown``."""
    anchor = quote.anchor if quote else None
    if anchor is None:
        return unknown
    return anchor * venue.to_local / venue.credit


@dataclass
class MarketMaker:
    """Quotes ``size`` on both sides, ``spread`` wide around the order flow (:attr:`Quote.centre`), leaning
    against its inventory.

    ``units``: held (available and reserved); ``available``: free to sell; ``start_units``: the inventory it
    unwinds towards."""

    spread: Fraction
    size: int
    units: int
    cash: int
    start_units: int
    available: int = 0

    def decide(self, venue: Venue, quote: Quote, *, flatten: bool = False) -> list[OrderIntent]:
        """Two quotes; when ``flatten`` (the close of a compliance period) only the one that unwinds inventory."""
        anchor = quote.centre
        if anchor is None:
            return []
        limit = 2 * self.size
        lean = Fraction(max(-limit, min(limit, self.units - self.start_units)), limit)  # −1 … 1
        mid = anchor * (1 - lean * self.spread)
        intents = []
        size = max(venue.min_qty, self.size // venue.lot * venue.lot)
        bid = _floor_tick(mid * (1 - self.spread / 2), venue.tick)
        if quote.band is not None:
            bid = min(bid, _floor_tick(quote.band[1], venue.tick))
        in_band = quote.band is None or bid >= quote.band[0]
        if flatten:
            size = min(size, abs(self.units - self.start_units) // venue.lot * venue.lot)
            if size < venue.min_qty:
                return []
        if bid > 0 and in_band and lean < 1 and (lean < 0 or not flatten) and buy_cost(venue, bid, size) <= self.cash:
            intents.append(OrderIntent(venue.instrument, BUY, bid, size))
        ask = _ceil_tick(mid * (1 + self.spread / 2), venue.tick)
        if quote.band is not None:
            ask = max(ask, _ceil_tick(quote.band[0], venue.tick))
        in_band = quote.band is None or ask <= quote.band[1]
        if in_band and lean > -1 and (lean > 0 or not flatten) and self.available >= size:
            intents.append(OrderIntent(venue.instrument, SELL, ask, size))
        return intents


@dataclass
class NoiseTrader:
    """Posts with probability ``chance`` per step a random small order within ±2% of the order flow's centre.

    ``units``: held (available and reserved); ``available``: free to sell."""

    chance: float
    size: int
    units: int
    cash: int
    start_units: int
    available: int = 0

    def decide(self, rng: random.Random, venue: Venue, quote: Quote, *, flatten: bool = False) -> OrderIntent | None:
        """Maybe an order; when ``flatten`` (the close of a compliance period) only one back towards flat."""
        anchor = quote.centre
        if anchor is None or rng.random() >= self.chance:
            return None
        quantity = max(venue.min_qty, rng.randint(1, max(1, self.size // venue.lot)) * venue.lot)
        drift = self.units - self.start_units
        if flatten:
            quantity = min(quantity, abs(drift) // venue.lot * venue.lot)
        if flatten or abs(drift) > 2 * self.size:
            side = SELL if drift > 0 else BUY
        else:
            side = rng.choice((BUY, SELL))
        if side == SELL:
            quantity = min(quantity, self.available // venue.lot * venue.lot)
            price = _ask_price(rng, venue, anchor * (1 - NOISE_WIDTH), quote.band, 2 * NOISE_WIDTH / (1 - NOISE_WIDTH))
        else:
            price = _bid_price(rng, venue, anchor * (1 + NOISE_WIDTH), quote.band, 2 * NOISE_WIDTH / (1 + NOISE_WIDTH))
            if price is not None:
                quantity = _affordable(venue, price, quantity, self.cash)
        if price is None or quantity < venue.min_qty:
            return None
        return OrderIntent(venue.instrument, side, price, quantity)
