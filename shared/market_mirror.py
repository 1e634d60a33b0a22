"""The market-mirror port: what order entry reads of matching's mirror of each book — the live phase, reference
price and session clip its decisions need, the depth levels and recent trades it shows.

Matching alone writes the mirror (``services/matching/book_mirror.py``, key layout in ``shared.market_keys``).
``shared.redis_market_mirror.RedisMarketMirror`` is the Redis adapter; tests use the in-memory fake
``tests.fakes.market_mirror.InMemoryMarketMirror``; one contract suite (``tests/contracts/market_mirror.py``) runs
on both, fed by matching's own mirror writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Level", "MarketMirror", "MarketState", "best_first", "parse_level"]


@dataclass(frozen=True, slots=True)
class MarketState:
    """What matching last mirrored of an instrument's session (None: nothing yet, the listing's values apply)."""

    phase: str | None
    reference: int | None
    clip: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class Level:
    """One aggregated price level of a side of the book (minor units, tonnes, resting orders)."""

    price: int
    quantity: int
    orders: int


class MarketMirror(Protocol):
    """Reads of matching's mirror; each is one round trip and sees one consistent mirror write."""

    async def market_state(self, instrument: str) -> MarketState: ...

    async def levels(self, instrument: str, side: str, *, depth: int) -> list[Level]:
        """At most ``depth`` levels of the ``side`` (BUY or SELL) of the book, best first."""
        ...

    async def recent_trades(self, instrument: str, *, limit: int) -> list[dict[str, object]]:
        """At most ``limit`` of the recent trades as matching mirrored them (JSON objects), newest first."""
        ...


def parse_level(price: str, value: str) -> Level:
    """A level from its mirror field (price) and value (``"{quantity}:{order_count}"``)."""
    quantity, _, count = value.partition(":")
    return Level(int(price), int(quantity), int(count or 0))


def best_first(levels: list[Level], side: str, depth: int) -> list[Level]:
    """The ``depth`` best levels: highest bids, lowest asks."""
    return sorted(levels, key=lambda level: level.price, reverse=side == "BUY")[:depth]
