"""Conversion across a link, one home for the bridge's rule engine and whoever shows a link's terms: the rate each
direction converts at and the receiving units one sent unit counts as. Exact fractions; standard library only."""

from __future__ import annotations

from fractions import Fraction


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
