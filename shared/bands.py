"""Pure price-band arithmetic, one home for matching (static band, circuit breaker) and order entry (pre-trade
checks, market summary): the integer prices within a fraction of an anchor price. Standard library only."""

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
