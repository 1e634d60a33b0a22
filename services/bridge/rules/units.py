"""Unit classes and account identifiers as the linkage rules see them (mirrors docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UnitType(StrEnum):
    """What a unit is: an allowance, an offset credit, or a credit converted at a border."""

    ALLOWANCE = "ALLOWANCE"
    OFFSET = "OFFSET"
    CONVERTED = "CONVERTED"


@dataclass(frozen=True, slots=True)
class UnitClass:
    """Origin registry + unit type + vintage: the attributes that decide eligibility."""

    origin: str
    unit_type: UnitType
    vintage: int

    @property
    def asset_code(self) -> str:
        """The ledger asset code, e.g. ``U:CN-BJ:ALLOWANCE:2025``."""
        return f"U:{self.origin}:{self.unit_type}:{self.vintage}"


def registry_of(account_id: str) -> str:
    """The registry an account belongs to: the part of ``{registry}/{name}`` before the first ``/``."""
    registry, separator, name = account_id.partition("/")
    if not registry or not separator or not name:
        raise ValueError(f"account id {account_id!r} is not of the form '{{registry}}/{{name}}'")
    return registry
