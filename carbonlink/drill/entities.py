"""The compliance entities of a scenario, drawn reproducibly from its seed where it asks for it.

The runner's simulated compliance traders and the analytical benchmark both use these, so the
benchmark prices exactly the cost curves the traders act on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from carbonlink.drill.scenario import GeneratedEntities, Scenario

__all__ = ["ComplianceEntity", "compliance_entities"]

_SLOPE_STEPS = 1000  # generated slopes lie on a grid of this many steps between low and high


@dataclass(frozen=True)
class ComplianceEntity:
    id: str
    instrument: str
    registry: str
    baseline: int  # tonnes per phase
    allocation: int  # tonnes per phase
    slope: Fraction  # MAC slope in the instrument's currency per tonne per tonne

    @property
    def required(self) -> int:
        return self.baseline - self.allocation


def compliance_entities(scenario: Scenario) -> list[ComplianceEntity]:
    """Every compliance entity of ``scenario``, in trader-group order; the same on every call."""
    entities = []
    for group in scenario.traders:
        if group.compliance is None:
            continue
        registry = scenario.instrument(group.instrument).registry
        if group.compliance.entities is not None:
            for number, spec in enumerate(group.compliance.entities, start=1):
                entities.append(
                    ComplianceEntity(
                        id=spec.id or f"{group.instrument}-ce{number}",
                        instrument=group.instrument,
                        registry=registry,
                        baseline=spec.baseline,
                        allocation=spec.allocation,
                        slope=spec.slope,
                    )
                )
        else:
            assert group.compliance.generate is not None
            entities.extend(_generated(scenario.seed, group.instrument, registry, group.compliance.generate))
    return entities


def _generated(seed: int, instrument: str, registry: str, spec: GeneratedEntities) -> list[ComplianceEntity]:
    draw = random.Random(f"{seed}:{instrument}")
    entities = []
    for number in range(1, spec.count + 1):
        baseline = draw.randint(spec.baseline.low, spec.baseline.high)
        cut = spec.cut.low + (spec.cut.high - spec.cut.low) * Fraction(draw.randint(0, _SLOPE_STEPS), _SLOPE_STEPS)
        slope = spec.slope.low + (spec.slope.high - spec.slope.low) * Fraction(
            draw.randint(0, _SLOPE_STEPS), _SLOPE_STEPS
        )
        entities.append(
            ComplianceEntity(
                id=f"{instrument}-ce{number}",
                instrument=instrument,
                registry=registry,
                baseline=baseline,
                allocation=baseline - int(baseline * cut),
                slope=slope,
            )
        )
    return entities
