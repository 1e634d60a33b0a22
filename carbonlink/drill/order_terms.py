"""What a simulated trader sees and sends, pure: a venue's rules, a market's quote, an order intent, and the
price and size rules every trader follows (the tick grid, the daily band, the zero-intelligence draws of a
bid below a ceiling or an ask above a floor, what the cash set aside allows).

Prices are integer minor units per tonne of the venue's currency; valuations are exact Fractions in
the trader's local minor units. Randomness comes in as a seeded ``random.Random``; no I/O, no clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["BUY", "SELL", "OrderIntent", "Quote", "Venue", "affordable", "ask_price", "bid_price", "buy_cost",
           "ceil_tick", "floor_tick"]

BUY, SELL = "BUY", "SELL"


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
    flow_bid: Fraction | int | None = None  # the entities' best resting bid and ask (a bid abroad converted)
    flow_ask: Fraction | int | None = None

    @property
    def centre(self) -> Fraction | None:
        """Where the order flow says the market is: the middle of the entities' best bid and ask, else the
        anchor moved inside whichever of them rests."""
        if self.flow_bid is not None and self.flow_ask is not None and self.flow_bid <= self.flow_ask:
            return Fraction(self.flow_bid + self.flow_ask, 2)
        anchor = self.anchor
        return None if anchor is None else Fraction(_within(anchor, self.flow_bid, self.flow_ask))

    @property
    def anchor(self) -> int | None:
        """The last price (else the reference), moved inside the best bid and ask when it lies outside them."""
        anchor = self.last if self.last is not None else self.reference
        return None if anchor is None else _within(anchor, self.bid, self.ask)


@dataclass(frozen=True)
class OrderIntent:
    instrument: str
    side: str
    price: int
    quantity: int
    for_step: bool = False  # good for the step only (a buy holding a link's shared quota: see trading_step)


def buy_cost(venue: Venue, price: int, quantity: int) -> int:
    """Cash to set aside for a buy: price × quantity plus the taker fee, rounded up, plus one minor unit."""
    return math.ceil(Fraction(price * quantity) * (1 + Fraction(venue.taker_bps, 10_000))) + 1


def floor_tick(price: Fraction | int, tick: int) -> int:
    return math.floor(Fraction(price) / tick) * tick


def ceil_tick(price: Fraction | int, tick: int) -> int:
    return math.ceil(Fraction(price) / tick) * tick


def bid_price(rng: random.Random, venue: Venue, ceiling: Fraction, band: tuple[int, int] | None,
               width: Fraction) -> int | None:
    """A bid drawn from [ceiling × (1 − width), ceiling] on the tick grid, clipped to the band; None if none fits.

    A ceiling above the band bids the band's top (limit up): the buyer still wants every tonne it can get there.
    """
    high = floor_tick(ceiling, venue.tick)
    low = max(venue.tick, ceil_tick(ceiling * (1 - width), venue.tick))
    if band is not None:
        high = min(high, floor_tick(band[1], venue.tick))
        low = min(high, max(low, ceil_tick(band[0], venue.tick)))
        if high < ceil_tick(band[0], venue.tick):
            return None
    if high < low or high < venue.tick:
        return None
    return low + rng.randint(0, (high - low) // venue.tick) * venue.tick


def ask_price(rng: random.Random, venue: Venue, floor: Fraction, band: tuple[int, int] | None,
               width: Fraction) -> int | None:
    """An ask drawn from [floor, floor × (1 + width)] on the tick grid, clipped to the band; None if none fits.

    A floor below the band asks the band's bottom (limit down).
    """
    low = max(venue.tick, ceil_tick(floor, venue.tick))
    high = floor_tick(floor * (1 + width), venue.tick)
    if band is not None:
        low = max(low, ceil_tick(band[0], venue.tick))
        high = max(low, min(high, floor_tick(band[1], venue.tick)))
        if low > floor_tick(band[1], venue.tick):
            return None
    if high < low:
        return None
    return low + rng.randint(0, (high - low) // venue.tick) * venue.tick


def affordable(venue: Venue, price: int, quantity: int, cash: int) -> int:
    """The largest multiple of the lot, at most ``quantity``, whose buy reservation fits in ``cash``."""
    while quantity >= venue.min_qty and buy_cost(venue, price, quantity) > cash:
        quantity = (quantity // 2) // venue.lot * venue.lot
    return quantity if quantity >= venue.min_qty else 0


def _within(price: Fraction | int, bid: Fraction | int | None, ask: Fraction | int | None) -> Fraction | int:
    """``price`` moved inside the best bid and ask (either may be None): at most the ask, then at least the bid."""
    if ask is not None:
        price = min(price, ask)
    if bid is not None:
        price = max(price, bid)
    return price
