"""Pure compliance rules: which limited categories a surrendered unit falls in, and the caps per obligation.

A covered entity surrenders units equal to its verified emissions for a period. A registry may limit offsets
and foreign-origin units to a share of that obligation (e.g. CCER ≤ 5%, Guangdong ≤ 10%); caps round down.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from shared.ledger.model import Code

OFFSET_TYPES = frozenset({"OFFSET"})


@dataclass(frozen=True, slots=True)
class SurrenderLimits:
    """A registry's limits as shares of the obligation; None means unlimited."""

    offset_share: Fraction | None = None
    foreign_share: Fraction | None = None


@dataclass(frozen=True, slots=True)
class SurrenderCap:
    """A counter field of the period's surrender usage, its cap, and the code a breach is refused with."""

    field: str
    cap: int
    code: Code


def parse_unit_class(unit_class: str) -> tuple[str, str, int]:
    """``U:CN-BJ:OFFSET:2025`` → ``("CN-BJ", "OFFSET", 2025)``."""
    prefix, origin, unit_type, vintage = unit_class.split(":")
    if prefix != "U":
        raise ValueError(f"{unit_class!r} is not a unit class")
    return origin, unit_type, int(vintage)


def surrender_caps(
    *, registry_id: str, unit_class: str, obligation: int, limits: SurrenderLimits
) -> tuple[SurrenderCap, ...]:
    """The caps a surrender of ``unit_class`` in ``registry_id`` must respect for an obligation of tonnes.

    Every surrender counts toward the obligation itself; offsets and foreign units also toward their shares.
    """
    origin, unit_type, _ = parse_unit_class(unit_class)
    caps = [SurrenderCap("total", obligation, Code.OBLIGATION_EXCEEDED)]
    if unit_type in OFFSET_TYPES and limits.offset_share is not None:
        caps.append(SurrenderCap("offset", _floor(obligation, limits.offset_share), Code.OFFSET_LIMIT_EXCEEDED))
    if origin != registry_id and limits.foreign_share is not None:
        caps.append(SurrenderCap("foreign", _floor(obligation, limits.foreign_share), Code.FOREIGN_LIMIT_EXCEEDED))
    return tuple(caps)


def _floor(quantity: int, share: Fraction) -> int:
    return quantity * share.numerator // share.denominator
