"""The scenario schema's building blocks: exact fractions and shares (never floats), decimal prices, ids,
currencies, unit types, and the frozen pydantic model every section derives from."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


def _exact(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("write fractions as exact strings such as '0.05' or '1/3', not floats")
    return str(value) if isinstance(value, Decimal) else value


def _share(value: Fraction) -> Fraction:
    if not 0 <= value <= 1:
        raise ValueError("must be a share between 0 and 1 (0% to 100%)")
    return value


def _positive(value: Fraction) -> Fraction:
    if value <= 0:
        raise ValueError("must be positive")
    return value


def _decimal_text(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("write prices as decimal strings such as '52.30'")
    return str(value) if isinstance(value, int | Decimal) else value


Exact = Annotated[Fraction, BeforeValidator(_exact)]
Share = Annotated[Fraction, BeforeValidator(_exact), AfterValidator(_share)]
PositiveFraction = Annotated[Fraction, BeforeValidator(_exact), AfterValidator(_positive)]
Price = Annotated[Decimal, BeforeValidator(_decimal_text), Field(gt=0)]
Id = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
UnitType = Literal["ALLOWANCE", "OFFSET", "CONVERTED"]


class ScenarioModel(BaseModel):
    """A scenario section: unknown fields refused, frozen, YAML keys by alias or name."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
