"""Which units a link lets cross: the qualitative limits of a linkage agreement (unit type, vintage, origin), one
home for order entry's pre-trade check and the bridge's rule engine. Standard library only."""

from __future__ import annotations

from collections.abc import Collection

UNIT_TYPE_NOT_ELIGIBLE = "UNIT_TYPE_NOT_ELIGIBLE"
VINTAGE_NOT_ELIGIBLE = "VINTAGE_NOT_ELIGIBLE"
ORIGIN_NOT_ELIGIBLE = "ORIGIN_NOT_ELIGIBLE"


def refusal(*, unit_type: str, vintage: int, origin: str, unit_types: Collection[str], min_vintage: int | None,
            max_vintage: int | None, origins: Collection[str]) -> str | None:
    """The first limit the unit class fails, checked in this order — unit type, vintage, origin — or None when
    the link admits it. ``origins`` is what the link admits (the sending registry alone unless it says more)."""
    if unit_type not in unit_types:
        return UNIT_TYPE_NOT_ELIGIBLE
    if (min_vintage is not None and vintage < min_vintage) or (max_vintage is not None and vintage > max_vintage):
        return VINTAGE_NOT_ELIGIBLE
    if origin not in origins:
        return ORIGIN_NOT_ELIGIBLE
    return None
