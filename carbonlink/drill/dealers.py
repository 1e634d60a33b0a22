"""The dealers of a simulated market, pure: a market maker and noise traders.

The dealers follow the order flow, not the last print: a market maker quotes both sides around
the middle of the compliance entities' best resting bid and ask (:attr:`Quote.centre`), skewed
against its inventory; a noise trader now and then posts a small order near that centre, leaning
back towards a flat inventory. Quoting around the book including their own quotes, or around the
last trade, the dealers kept trading with each other at a stale price long after the entities had
moved on. An importing market's flow counts its entities' bids resting abroad too (converted per
credited tonne): its buyers' demand is there, and a home book quoted only against its sellers kept
its dealers buying at the last print.

Towards the end of a compliance period both dealers only unwind their inventory, so the units
end up with the entities that need them.

Randomness comes in as a seeded ``random.Random``; no I/O, no clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from carbonlink.drill.order_terms import (BUY, SELL, OrderIntent, Quote, Venue, affordable, ask_price, bid_price,
                                          buy_cost, ceil_tick, floor_tick)

__all__ = ["MarketMaker", "NoiseTrader"]

NOISE_WIDTH = Fraction(2, 100)  # noise orders lie within ±2% of the order flow's centre


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
        bid = floor_tick(mid * (1 - self.spread / 2), venue.tick)
        if quote.band is not None:
            bid = min(bid, floor_tick(quote.band[1], venue.tick))
        in_band = quote.band is None or bid >= quote.band[0]
        if flatten:
            size = min(size, abs(self.units - self.start_units) // venue.lot * venue.lot)
            if size < venue.min_qty:
                return []
        if bid > 0 and in_band and lean < 1 and (lean < 0 or not flatten) and buy_cost(venue, bid, size) <= self.cash:
            intents.append(OrderIntent(venue.instrument, BUY, bid, size))
        ask = ceil_tick(mid * (1 + self.spread / 2), venue.tick)
        if quote.band is not None:
            ask = max(ask, ceil_tick(quote.band[0], venue.tick))
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
            price = ask_price(rng, venue, anchor * (1 - NOISE_WIDTH), quote.band, 2 * NOISE_WIDTH / (1 - NOISE_WIDTH))
        else:
            price = bid_price(rng, venue, anchor * (1 + NOISE_WIDTH), quote.band, 2 * NOISE_WIDTH / (1 + NOISE_WIDTH))
            if price is not None:
                quantity = affordable(venue, price, quantity, self.cash)
        if price is None or quantity < venue.min_qty:
            return None
        return OrderIntent(venue.instrument, side, price, quantity)
