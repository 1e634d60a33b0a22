"""The scenario's simulated traders per instrument: compliance entities (listed, or generated with the seed),
market makers and noise traders."""

from __future__ import annotations

from pydantic import NonNegativeInt, PositiveInt, model_validator

from carbonlink.drill.scenario_fields import Exact, Id, PositiveFraction, ScenarioModel, Share


class EntitySpec(ScenarioModel):
    id: Id | None = None
    baseline: NonNegativeInt  # tonnes emitted per phase without abatement
    allocation: NonNegativeInt  # free allocation per phase, tonnes
    slope: PositiveFraction  # marginal abatement cost slope, currency per tonne per tonne abated


class IntRange(ScenarioModel):
    low: NonNegativeInt
    high: NonNegativeInt

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.low > self.high:
            raise ValueError("low is above high")
        return self


class FractionRange(ScenarioModel):
    low: Exact
    high: Exact

    @model_validator(mode="after")
    def _ordered(self) -> FractionRange:
        if self.low > self.high:
            raise ValueError("low is above high")
        return self


class GeneratedEntities(ScenarioModel):
    """Entities drawn uniformly with the scenario's seed: baseline tonnes, the share of it they must
    cut (allocation = baseline × (1 − cut)), and the MAC slope."""

    count: PositiveInt
    baseline: IntRange
    cut: FractionRange
    slope: FractionRange

    @model_validator(mode="after")
    def _sane(self) -> GeneratedEntities:
        if self.cut.high > 1:
            raise ValueError("cut above 100% of baseline")
        if self.slope.low <= 0:
            raise ValueError("slopes must be positive")
        return self


class Compliance(ScenarioModel):
    entities: list[EntitySpec] | None = None
    generate: GeneratedEntities | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Compliance:
        if (self.entities is None) == (self.generate is None):
            raise ValueError("give exactly one of entities or generate")
        return self


class MarketMakers(ScenarioModel):
    count: NonNegativeInt
    spread: Share  # quoted spread as a fraction of the mid price
    size: PositiveInt  # tonnes per quote


class NoiseTraders(ScenarioModel):
    count: NonNegativeInt
    rate: PositiveFraction  # orders per trader per business hour
    size: PositiveInt = 100  # largest order, tonnes


class TraderGroup(ScenarioModel):
    instrument: Id
    compliance: Compliance | None = None
    market_makers: MarketMakers | None = None
    noise: NoiseTraders | None = None
