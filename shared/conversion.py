"""Conversion across a link, one home for the bridge's rule engine, order entry and whoever shows a link's terms:
the rate each direction converts at, how a sent quantity splits into delivered units, levies and the remainder,
and the smallest quantity worth sending. Exact fractions; standard library only.

With f = exchange_rate x (1 - discount) receiving units per sent unit, for ``sent`` units offered:

1. gross     = floor(sent x f)                        whole receiving units the conversion yields;
2. levy      = ceil(gross x share_of_proceeds)         to the receiving registry's levy account;
3. cancelled = min(ceil(gross x cancellation_share), gross - levy)   cancelled (OMGE-style);
4. delivered = gross - levy - cancelled               credited to the buyer;
5. consumed  = ceil(gross / f)                        the fewest whole sent units that yield ``gross``;
6. remainder = sent - consumed                        stays with the seller;
7. residue   = consumed x f - gross                   in [0, 1): a fraction of a receiving unit, never created.

Both levies are shares of the gross, as Article 6.4's 5% share of proceeds and 2% cancellation are shares of
the issuance; rounding them up keeps a delivery from escaping them by being split into small trades.
Conservation, exact in receiving units: sent x f = delivered + levy + cancelled + residue + remainder x f.

The price of rounding levies up: a small quantity delivers nothing (5% + 2% of 2 t are 1 t each). The bridge
refuses such a delivery (ZERO_DELIVERED_AFTER_CONVERSION), so the market must not match one:
``min_delivering_quantity`` is the fill size below which a cross-border order may not trade (its min fill).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor

__all__ = ["Split", "conversion_factor", "delivered_units", "min_delivering_quantity", "reverse_rate", "split"]


def conversion_factor(exchange_rate: Fraction, discount: Fraction) -> Fraction:
    """Receiving units per sent unit: ``exchange_rate × (1 − discount)``."""
    return Fraction(exchange_rate) * (1 - Fraction(discount))


def reverse_rate(exchange_rate: Fraction, reverse_exchange_rate: Fraction | None = None) -> Fraction:
    """The exchange rate from ``to`` back to ``from`` of a bilateral link: the agreement's, else 1/rate.

    A rate and its reverse multiplying above 1 would create units on a round trip: refused.
    """
    reverse = 1 / Fraction(exchange_rate) if reverse_exchange_rate is None else Fraction(reverse_exchange_rate)
    if reverse <= 0:
        raise ValueError("reverse_exchange_rate must be > 0")
    if Fraction(exchange_rate) * reverse > 1:
        raise ValueError("exchange_rate x reverse_exchange_rate must not exceed 1 (a round trip would create units)")
    return reverse


@dataclass(frozen=True, slots=True)
class Split:
    """The quantities of one delivery: sent-side units (sent, consumed, remainder), receiving-side the rest."""

    sent: int
    consumed: int
    remainder: int
    gross: int
    levy: int
    cancelled: int
    delivered: int
    residue: Fraction


def _levies(gross: int, share_of_proceeds: Fraction, cancellation_share: Fraction) -> tuple[int, int]:
    levy = ceil(gross * Fraction(share_of_proceeds))
    return levy, min(ceil(gross * Fraction(cancellation_share)), gross - levy)


def delivered_units(gross: int, *, share_of_proceeds: Fraction, cancellation_share: Fraction) -> int:
    """What ``gross`` converted units leave the buyer after both levies (rules 2–4)."""
    levy, cancelled = _levies(gross, share_of_proceeds, cancellation_share)
    return gross - levy - cancelled


def split(sent: int, *, factor: Fraction, share_of_proceeds: Fraction, cancellation_share: Fraction) -> Split:
    """Split ``sent`` whole units at ``factor`` receiving units per sent unit, under the two levy shares."""
    if sent <= 0:
        raise ValueError("sent must be a positive number of tonnes")
    factor = Fraction(factor)
    gross = floor(sent * factor)
    levy, cancelled = _levies(gross, share_of_proceeds, cancellation_share)
    consumed = ceil(gross / factor)
    return Split(sent=sent, consumed=consumed, remainder=sent - consumed, gross=gross, levy=levy, cancelled=cancelled,
                 delivered=gross - levy - cancelled, residue=consumed * factor - gross)


def min_delivering_quantity(*, factor: Fraction, share_of_proceeds: Fraction, cancellation_share: Fraction) -> int:
    """The smallest ``m`` such that every sent quantity ``q >= m`` delivers at least one unit.

    Delivered units are not monotone in the quantity sent: when both levies round up at the same gross, one more
    gross unit delivers one less (e.g. shares 3/10 and 3/10: 3 gross deliver 1, 4 deliver 0). So this is not "the
    smallest quantity that delivers", but the point from which every quantity does — what a minimum fill needs,
    since a fill and the remainder it leaves may be any size from it up. With s + c the two shares (< 1),
    gross - ceil(gross s) - ceil(gross c) > gross (1 - s - c) - 2, so every gross >= 2 / (1 - s - c) delivers;
    below that bound the grosses that deliver nothing are looked up one by one, keeping those a whole sent
    quantity reaches (a factor above 1 skips grosses). ``m`` is one more than the largest quantity reaching one.
    """
    factor = Fraction(factor)
    kept = 1 - Fraction(share_of_proceeds) - Fraction(cancellation_share)
    if factor <= 0 or kept <= 0:
        raise ValueError("a conversion factor > 0 and levy shares below 1 in sum are needed to deliver anything")
    for gross in range(ceil(2 / kept) - 1, -1, -1):
        if delivered_units(gross, share_of_proceeds=share_of_proceeds, cancellation_share=cancellation_share) > 0:
            continue
        largest = ceil((gross + 1) / factor) - 1  # the largest quantity whose gross is at most this one
        if largest >= 1 and floor(largest * factor) == gross:
            return largest + 1
    return 1
