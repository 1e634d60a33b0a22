"""Pure price-band arithmetic, one home for matching (static band, circuit breaker) and order entry (pre-trade
checks, market summary): the integer prices within a fraction of an anchor price, a band narrowed by an override
(the price corridor's BAND action), and two overrides combined into the one in force. Standard library only."""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor


def price_range(anchor: int, move: Fraction) -> tuple[int, int]:
    """Integer prices p with |p - anchor| <= move * anchor (inclusive bounds)."""
    return ceil(anchor * (1 - move)), floor(anchor * (1 + move))


def band_limits(band: Fraction | None, reference: int | None) -> tuple[int, int] | None:
    """Lowest and highest price a static band allows around the reference; None without band or reference."""
    if band is None or reference is None:
        return None
    return price_range(reference, band)


def narrow(band: tuple[int, int] | None, clip: tuple[int, int] | None) -> tuple[int, int] | None:
    """The band narrowed towards ``clip`` (the prices an override lets the market reach): each limit is moved
    inside the clip, never outside the band; a band wholly outside the clip keeps only its limit nearest to it.
    No clip: the band; no band: the clip."""
    if clip is None:
        return band
    if band is None:
        return clip
    low, high = max(band[0], clip[0]), min(band[1], clip[1])
    if low <= high:
        return low, high
    nearest = band[0] if band[0] > clip[1] else band[1]
    return nearest, nearest


def intersect(held: tuple[int, int] | None, added: tuple[int, int], *,
              pin: str | None = None) -> tuple[tuple[int, int], bool]:
    """The band override in force once ``added`` joins the one ``held``: their intersection, the narrower limit
    on each side, so that a second corridor (or a second breach) narrows and never replaces. Never inverted: when
    the two have no price in common, the override is pinned at one limit of ``added`` — its low for ``pin="LOW"``
    (the market fell below the corridor's floor), its high for ``"HIGH"``, else the one nearest to ``held`` — and
    the second value (pinned) says so. Nothing held: ``added`` itself."""
    if held is None:
        return added, False
    low, high = max(held[0], added[0]), min(held[1], added[1])
    if low <= high:
        return (low, high), False
    if pin == "LOW":
        price = added[0]
    elif pin == "HIGH":
        price = added[1]
    else:
        price = added[0] if added[0] > held[1] else added[1]
    return (price, price), True
