"""Integer money and quantity: minor units per currency, decimal strings at the edge, exact fractions for conversion."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

#: ISO 4217 minor-unit exponents of the currencies Carbonlink quotes; scenarios may declare more.
MINOR_UNIT_DIGITS: dict[str, int] = {"CNY": 2, "JPY": 0, "KRW": 0, "EUR": 2, "USD": 2, "CAD": 2, "CHF": 2}


class AmountError(ValueError):
    """A decimal string that is not a valid amount in the currency; the message says why."""


def minor_digits(currency: str) -> int:
    try:
        return MINOR_UNIT_DIGITS[currency]
    except KeyError:
        raise AmountError(f"unknown currency {currency!r}") from None


def to_minor(amount: str, currency: str) -> int:
    """`"52.30"` CNY → 5230. Refuses more decimals than the currency has, and non-finite input."""
    digits = minor_digits(currency)
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise AmountError(f"{amount!r} is not a decimal number") from None
    if not value.is_finite():
        raise AmountError(f"{amount!r} is not a finite number")
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{amount!r} has more than {digits} decimals for {currency}")
    return int(scaled)


def from_minor(minor: int, currency: str) -> str:
    """5230 CNY → `"52.30"`; 1200 JPY → `"1200"`."""
    digits = minor_digits(currency)
    return str(Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))) if digits else str(minor)


def parse_fraction(text: str | int | Fraction) -> Fraction:
    """Exact fraction from `"1/10"`, `"0.05"` or an int; never through a float."""
    if isinstance(text, Fraction):
        return text
    if isinstance(text, int):
        return Fraction(text)
    try:
        return Fraction(Decimal(text)) if "/" not in text else Fraction(text)
    except (InvalidOperation, ValueError, ZeroDivisionError, TypeError):
        raise AmountError(f"{text!r} is not an exact fraction (write 1/10 or 0.1)") from None


def format_fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"

