"""Pure price-band arithmetic, one home for matching (static band, circuit breaker) and order entry (pre-trade
checks, market summary): the integer prices within a fraction of an anchor price, and a band narrowed by an
override (the price corridor's BAND action). Standard library only."""

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
