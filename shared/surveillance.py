"""The surveillance thresholds an operator may set at run time (stored as one JSON value under
``shared.oversight_keys.THRESHOLDS``); oversight applies them over its configured defaults.

Times are milliseconds of the events' business time; shares are exact fractions as strings. A drill scales
them to its own clock (a drill day lasts seconds).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.money import AmountError, format_fraction, parse_fraction


def _positive_fraction(value: str) -> str:
    try:
        fraction = parse_fraction(value)
    except AmountError as err:
        raise ValueError(str(err)) from None
    if fraction <= 0:
        raise ValueError("must be greater than 0")
    return format_fraction(fraction)


Share = Annotated[str, AfterValidator(_positive_fraction), Field(max_length=40)]
Millis = Annotated[int, Field(ge=1, le=10**11)]


class ThresholdOverrides(BaseModel):
    """Any subset of the thresholds; the ones left out keep oversight's configured values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spoof_large_ratio: Share | None = None
    spoof_min_history: Annotated[int, Field(ge=1, le=10**6)] | None = None
    spoof_near_touch: Share | None = None
    spoof_max_lifetime_ms: Millis | None = None
    spoof_window_ms: Millis | None = None
    spoof_min_cancels: Annotated[int, Field(ge=1, le=1000)] | None = None
    close_window_ms: Millis | None = None
    close_move: Share | None = None
    close_dominance: Share | None = None
    close_min_trades: Annotated[int, Field(ge=1, le=1000)] | None = None
    round_trip_window_ms: Millis | None = None
    concentration_share: Share | None = None
