"""The drill scenario: its schema (pydantic v2) and loading from YAML with errors that name the line.

A scenario declares registries, the instruments (markets) they list, linkage agreements between
registries, a timeline of phases giving each linkage's state, and the simulated traders. Fractions
(shares, rates, slopes) are exact: write ``"1/3"`` or ``0.05``; YAML never turns them into floats.
Prices are decimal strings in the instrument's currency; quantities are integer tonnes.

The schema's sections live beside this module (``scenario_fields``, ``scenario_markets``, ``scenario_links``,
``scenario_traders``); this module holds the clock, the whole scenario and its loading, and re-exports the
sections' models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AwareDatetime, Field, PositiveInt, ValidationError, model_validator

from carbonlink.drill.manipulation_spec import ManipulatorSpec
from carbonlink.drill.scenario_checks import cross_field_problems
from carbonlink.drill.scenario_fields import Currency, PositiveFraction, ScenarioModel
from carbonlink.drill.scenario_links import Caps, Corridor, Linkage, LinkState, Phase
from carbonlink.drill.scenario_markets import Instrument, Registry
from carbonlink.drill.scenario_traders import (Compliance, EntitySpec, GeneratedEntities, MarketMakers, NoiseTraders,
                                               TraderGroup)
from carbonlink.drill.yaml_lines import load_with_lines, nearest_line

__all__ = [
    "Caps",
    "Clock",
    "Compliance",
    "Corridor",
    "EntitySpec",
    "GeneratedEntities",
    "Instrument",
    "LinkState",
    "Linkage",
    "MarketMakers",
    "NoiseTraders",
    "Phase",
    "Problem",
    "Registry",
    "Scenario",
    "ScenarioError",
    "TraderGroup",
    "load_scenario",
    "parse_scenario",
]


class Clock(ScenarioModel):
    """Business time of the drill. Trading days are weekdays (Monday to Friday) from ``start``; a day's
    ``session_minutes`` of trading advance in steps of ``step_minutes``; a trader's order rests for
    ``order_life_steps`` steps. ``speed`` (business seconds per wall second), when given, only slows a drill
    down for watching it live; a drill otherwise runs as fast as the exchange processes each step."""

    start: AwareDatetime  # business time of day 0, 00:00 (a weekend start moves to the Monday after)
    days_per_phase: PositiveInt = 2  # for phases that give no `days`
    speed: PositiveInt | None = None
    session_minutes: PositiveInt  # business minutes of trading simulated per day
    step_minutes: PositiveInt = 5
    order_life_steps: PositiveInt = 3

    @model_validator(mode="after")
    def _whole_steps(self) -> Clock:
        if self.session_minutes % self.step_minutes:
            raise ValueError("session_minutes must be a whole number of step_minutes")
        return self

    @property
    def steps_per_day(self) -> int:
        return self.session_minutes // self.step_minutes

    def day_start(self, day: int) -> datetime:
        """Midnight (in the start's time zone) of trading day ``day``, the ``day``-th weekday from the start."""
        moment, counted = self.start, -1
        while True:
            if moment.weekday() < 5:
                counted += 1
                if counted == day:
                    return moment
            moment += timedelta(days=1)


class Scenario(ScenarioModel):
    name: str
    seed: int
    clock: Clock
    reporting_currency: Currency
    fx: dict[Currency, PositiveFraction]  # value of one unit of each currency in the reporting currency
    registries: Annotated[list[Registry], Field(min_length=1)]
    instruments: Annotated[list[Instrument], Field(min_length=1)]
    linkages: list[Linkage] = []
    phases: Annotated[list[Phase], Field(min_length=1)]
    traders: list[TraderGroup] = []
    manipulators: list[ManipulatorSpec] = []  # traders that manipulate on a schedule (carbonlink.drill.manipulators)

    def registry(self, key: str) -> Registry:
        return next(registry for registry in self.registries if registry.id == key)

    def instrument(self, key: str) -> Instrument:
        return next(instrument for instrument in self.instruments if instrument.id == key)

    def phase_days(self, phase: Phase) -> int:
        return phase.days if phase.days is not None else self.clock.days_per_phase

    def link_state(self, phase: Phase, linkage: Linkage) -> LinkState:
        return phase.links.get(linkage.id, LinkState(state="absent"))


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str


class ScenarioError(ValueError):
    """A scenario refused before anything is created; every problem names its line and field."""

    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda problem: problem.line)
        super().__init__("\n".join(f"{source}:{p.line}: {p.field}: {p.message}" for p in self.problems))


def _field_name(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def parse_scenario(text: str, *, source: str = "<scenario>") -> Scenario:
    """Validate a scenario document: the schema first, then the cross-field rules."""
    try:
        data, lines = load_with_lines(text)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        raise ScenarioError(source, [Problem(line, "(document)", str(error.problem))]) from None
    if not isinstance(data, dict):
        raise ScenarioError(source, [Problem(1, "(document)", "a scenario is a mapping of sections")])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(nearest_line(lines, tuple(item["loc"])), _field_name(tuple(item["loc"])), item["msg"])
            for item in error.errors(include_url=False)
        ]
        raise ScenarioError(source, problems) from None
    problems = [Problem(nearest_line(lines, loc), _field_name(loc), message) for loc, message in cross_field_problems(scenario)]
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate the scenario file at ``path``; raises ScenarioError naming line and field."""
    return parse_scenario(Path(path).read_text(encoding="utf-8"), source=str(path))
