"""The price corridor a linkage agreement may carry, and the exact conversion of a market's price into it.

A corridor is a floor and a ceiling in a reference currency (minor units per reference tonne). A linked
market's price converts at the corridor's fx (value of one major unit of the market's currency in major
units of the reference currency) and at the link's rate: a unit of the link's ``from`` registry counts as
``exchange_rate`` units in its ``to`` registry, so one reference tonne there costs ``price / exchange_rate``.
Pure: no I/O; exact Fractions.
"""

from __future__ import annotations

from enum import StrEnum
from fractions import Fraction
from math import ceil, floor
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.money import AmountError, MINOR_UNIT_DIGITS, format_fraction, parse_fraction


class CorridorAction(StrEnum):
    """What runs when a market leaves the corridor: an alert only, a halt, or a narrower band next session."""

    ALERT = "ALERT"
    HALT = "HALT"
    BAND = "BAND"


def _rate_text(value: str) -> str:
    try:
        rate = parse_fraction(value)
    except AmountError as err:
        raise ValueError(str(err)) from None
    if rate <= 0:
        raise ValueError("an fx rate must be greater than 0")
    return format_fraction(rate)


FxRate = Annotated[str, AfterValidator(_rate_text), Field(max_length=40, examples=["0.14"])]


class Corridor(BaseModel):
    """Floor and ceiling (reference currency minor units per tonne), the fx used, and the action."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])]
    floor: int = Field(ge=0, le=10**15)
    ceiling: int = Field(ge=1, le=10**15)
    fx: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], FxRate] = Field(default_factory=dict)
    action: CorridorAction = CorridorAction.ALERT

    @model_validator(mode="after")
    def _consistent(self) -> Corridor:
        if self.floor >= self.ceiling:
            raise ValueError("the corridor's floor must be below its ceiling")
        for currency in (self.currency, *self.fx):
            if currency not in MINOR_UNIT_DIGITS:
                raise ValueError(f"unknown currency {currency}")
        return self

    def fx_rate(self, currency: str) -> Fraction | None:
        """Reference-currency major units per major unit of ``currency`` (1 for the reference itself)."""
        if currency == self.currency:
            return Fraction(1)
        text = self.fx.get(currency)
        return None if text is None else Fraction(text)


def reference_price(corridor: Corridor, *, price: int, currency: str, unit_rate: Fraction) -> Fraction | None:
    """A market price (minor units of ``currency``) as reference minor units per reference tonne; None
    when the corridor names no fx for the currency."""
    rate = corridor.fx_rate(currency)
    if rate is None:
        return None
    scale = Fraction(10) ** (MINOR_UNIT_DIGITS[corridor.currency] - MINOR_UNIT_DIGITS[currency])
    return price * rate * scale / unit_rate


def market_limits(corridor: Corridor, *, currency: str, unit_rate: Fraction, tick: int) -> tuple[int, int] | None:
    """The corridor in a market's own prices: the lowest and highest multiple of ``tick`` whose converted price
    lies inside it (the BAND action's override); None when the corridor names no fx for the currency. A corridor
    narrower than one tick leaves the single tick at or above its floor."""
    rate = corridor.fx_rate(currency)
    if rate is None:
        return None
    per_minor = rate * Fraction(10) ** (MINOR_UNIT_DIGITS[corridor.currency] - MINOR_UNIT_DIGITS[currency]) / unit_rate
    low = max(1, ceil(corridor.floor / per_minor / tick)) * tick
    high = floor(corridor.ceiling / per_minor / tick) * tick
    return low, max(low, high)


def outside(corridor: Corridor, converted: Fraction) -> str | None:
    """``"BELOW_FLOOR"`` / ``"ABOVE_CEILING"`` when the converted price leaves the corridor, else None."""
    if converted < corridor.floor:
        return "BELOW_FLOOR"
    if converted > corridor.ceiling:
        return "ABOVE_CEILING"
    return None
