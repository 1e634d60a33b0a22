"""The scenario's markets: registries (currency, local time, offset and foreign-unit shares, holding limits) and
the instruments they list (unit class, tick, lot, band, reference price, fees, sessions)."""

from __future__ import annotations

from datetime import time, timedelta, timezone
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from carbonlink.drill.scenario_fields import Currency, Id, Price, ScenarioModel, Share, UnitType


class WciHoldingLimit(ScenarioModel):
    """WCI holding limit: base_share × base + excess_share × (budget − base)."""

    budget: PositiveInt
    base: PositiveInt = 25_000_000
    base_share: Share = Fraction(1, 10)
    excess_share: Share = Fraction(1, 40)

    @property
    def tonnes(self) -> int:
        limit = self.base_share * min(self.base, self.budget) + self.excess_share * max(0, self.budget - self.base)
        return int(limit)


class HoldingLimit(ScenarioModel):
    """Exactly one rule: own allocation plus a fixed amount (Beijing), or the WCI formula."""

    allocation_plus: NonNegativeInt | None = None
    wci: WciHoldingLimit | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> HoldingLimit:
        if (self.allocation_plus is None) == (self.wci is None):
            raise ValueError("give exactly one of allocation_plus or wci")
        return self


class Registry(ScenarioModel):
    id: Id
    name: str
    currency: Currency
    utc_offset: Annotated[str, Field(pattern=r"^[+-](0\d|1[0-4]):[0-5]\d$")] = "+00:00"
    offset_limit: Share | None = None  # offsets as a share of an entity's obligation
    foreign_limit: Share | None = None  # units from linked registries as a share of obligation
    holding_limit: HoldingLimit | None = None

    @property
    def tzinfo(self) -> timezone:
        sign = -1 if self.utc_offset.startswith("-") else 1
        hours, minutes = self.utc_offset[1:].split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


class UnitClass(ScenarioModel):
    origin: Id
    type: UnitType
    vintage: Annotated[int, Field(ge=1990, le=2100)]


class Fees(ScenarioModel):
    maker_bps: Annotated[int, Field(ge=0, le=10_000)] = 0
    taker_bps: Annotated[int, Field(ge=0, le=10_000)] = 0


class Session(ScenarioModel):
    """A part of the trading day in the registry's local time (a call uncrosses at its end)."""

    kind: Literal["opening_call", "continuous", "closing_call"]
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if self.start >= self.end:
            raise ValueError("a session must end after it starts")
        return self


class Instrument(ScenarioModel):
    id: Id
    registry: Id
    currency: Currency
    unit: UnitClass
    tick: PositiveInt  # minor units
    lot: PositiveInt  # tonnes
    min_qty: PositiveInt
    max_qty: PositiveInt
    band: Share | None  # ± fraction around the reference (previous close); null: no limit
    reference_price: Price
    fees: Fees = Fees()
    sessions: Annotated[list[Session], Field(min_length=1)]

    @model_validator(mode="after")
    def _quantities(self) -> Instrument:
        if self.min_qty > self.max_qty:
            raise ValueError("min_qty is above max_qty")
        if self.min_qty % self.lot or self.max_qty % self.lot:
            raise ValueError("min_qty and max_qty must be multiples of lot")
        return self
