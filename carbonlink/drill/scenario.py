"""The drill scenario: its schema (pydantic v2) and loading from YAML with errors that name the line.

A scenario declares registries, the instruments (markets) they list, linkage agreements between
registries, a timeline of phases giving each linkage's state, and the simulated traders. Fractions
(shares, rates, slopes) are exact: write ``"1/3"`` or ``0.05``; YAML never turns them into floats.
Prices are decimal strings in the instrument's currency; quantities are integer tonnes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from carbonlink.drill.manipulation_spec import ManipulatorSpec
from carbonlink.drill.scenario_checks import cross_field_problems
from carbonlink.drill.yaml_lines import load_with_lines, nearest_line

__all__ = [
    "Caps",
    "Clock",
    "Compliance",
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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Clock(_Model):
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


class WciHoldingLimit(_Model):
    """WCI holding limit: base_share × base + excess_share × (budget − base)."""

    budget: PositiveInt
    base: PositiveInt = 25_000_000
    base_share: Share = Fraction(1, 10)
    excess_share: Share = Fraction(1, 40)

    @property
    def tonnes(self) -> int:
        limit = self.base_share * min(self.base, self.budget) + self.excess_share * max(0, self.budget - self.base)
        return int(limit)


class HoldingLimit(_Model):
    """Exactly one rule: own allocation plus a fixed amount (Beijing), or the WCI formula."""

    allocation_plus: NonNegativeInt | None = None
    wci: WciHoldingLimit | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> HoldingLimit:
        if (self.allocation_plus is None) == (self.wci is None):
            raise ValueError("give exactly one of allocation_plus or wci")
        return self


class Registry(_Model):
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


class UnitClass(_Model):
    origin: Id
    type: UnitType
    vintage: Annotated[int, Field(ge=1990, le=2100)]


class Fees(_Model):
    maker_bps: Annotated[int, Field(ge=0, le=10_000)] = 0
    taker_bps: Annotated[int, Field(ge=0, le=10_000)] = 0


class Session(_Model):
    """A part of the trading day in the registry's local time (a call uncrosses at its end)."""

    kind: Literal["opening_call", "continuous", "closing_call"]
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if self.start >= self.end:
            raise ValueError("a session must end after it starts")
        return self


class Instrument(_Model):
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


class Caps(_Model):
    per_period: NonNegativeInt | None = None  # tonnes credited in the importing registry per phase
    per_account: NonNegativeInt | None = None  # tonnes one account may import per phase
    share_of_obligation: Share | None = None  # of the importing entity's obligation


class Vintages(_Model):
    min: int | None = None
    max: int | None = None


class Calendar(_Model):
    """Weekdays on which the link settles transfers (EU–Switzerland: Tuesday and Thursday)."""

    weekdays: Annotated[list[Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]], Field(min_length=1)]


class SuspensionPolicy(_Model):
    """What a suspension does at once (Ontario 2018: trading stopped, units held abroad stayed valid)."""

    resting_orders: Literal["cancel", "keep"] = "cancel"
    in_transit: Literal["return", "complete"] = "return"
    foreign_holdings: Literal["keep_valid", "freeze"] = "keep_valid"


class Linkage(_Model):
    """A linkage agreement. Units of ``from`` count in ``to`` at ``exchange_rate``; a bilateral link
    converts back at ``reverse_exchange_rate`` (default 1/exchange_rate); a multilateral group is fully
    mutual at 1:1."""

    id: Id
    kind: Literal["unilateral", "bilateral", "multilateral"]
    from_: Id | None = Field(default=None, alias="from")
    to: Id | None = None
    group: list[Id] | None = None
    unit_types: Annotated[list[UnitType], Field(min_length=1)]
    vintages: Vintages | None = None
    origins: list[Id] | None = None  # default: the linked registries
    caps: Caps = Caps()
    exchange_rate: PositiveFraction = Fraction(1)
    reverse_exchange_rate: PositiveFraction | None = None
    discount: Share = Fraction(0)
    levy_share: Share = Fraction(0)  # share of proceeds, in units, to the importing registry's LEVY account
    cancellation_share: Share = Fraction(0)  # cancelled for overall mitigation
    corresponding_adjustment: bool = False
    calendar: Calendar | None = None
    suspension: SuspensionPolicy = SuspensionPolicy()

    @model_validator(mode="after")
    def _shape(self) -> Linkage:
        if self.kind == "multilateral":
            if self.group is None or len(set(self.group)) < 2 or self.from_ or self.to:
                raise ValueError("a multilateral linkage needs a group of two or more registries and no from/to")
            if self.exchange_rate != 1:
                raise ValueError("a multilateral linkage is 1:1")
        elif self.from_ is None or self.to is None or self.group is not None or self.from_ == self.to:
            raise ValueError(f"a {self.kind} linkage needs two different registries in from and to, and no group")
        if self.reverse_exchange_rate is not None and (
                self.kind != "bilateral" or self.exchange_rate * self.reverse_exchange_rate > 1):
            raise ValueError("reverse_exchange_rate belongs to a bilateral linkage, and exchange_rate × "
                             "reverse_exchange_rate must not exceed 1 (a round trip would create units)")
        if self.discount >= 1 or self.levy_share + self.cancellation_share >= 1:
            raise ValueError("discount, and levy_share plus cancellation_share, must stay below 100%")
        return self

    @property
    def registries(self) -> list[str]:
        return list(self.group) if self.group is not None else [self.from_ or "", self.to or ""]

    def directions(self) -> list[tuple[str, str, Fraction]]:
        """(origin, destination, exchange rate) for every direction units may cross."""
        if self.group is not None:
            return [(a, b, Fraction(1)) for a in self.group for b in self.group if a != b]
        assert self.from_ is not None and self.to is not None
        forward = [(self.from_, self.to, self.exchange_rate)]
        if self.kind == "bilateral":
            forward.append((self.to, self.from_, self.reverse_rate))
        return forward

    @property
    def reverse_rate(self) -> Fraction:
        """The exchange rate from ``to`` back to ``from`` (bilateral): agreed, else 1/exchange_rate."""
        return self.reverse_exchange_rate if self.reverse_exchange_rate is not None else 1 / self.exchange_rate


class LinkState(_Model):
    """A linkage's state in a phase; ``restricted`` may override the agreement's caps and conversion
    (an overridden ``exchange_rate`` without ``reverse_exchange_rate`` converts back at its inverse)."""

    state: Literal["absent", "autarky", "restricted", "full", "suspended"]
    caps: Caps | None = None
    discount: Share | None = None
    exchange_rate: PositiveFraction | None = None
    reverse_exchange_rate: PositiveFraction | None = None

    @model_validator(mode="after")
    def _overrides_only_when_restricted(self) -> LinkState:
        if self.state != "restricted" and (self.caps or self.discount is not None or self.exchange_rate
                                           or self.reverse_exchange_rate):
            raise ValueError("caps, discount and exchange_rate overrides apply only to a restricted link")
        return self


class Phase(_Model):
    name: Id
    start_day: NonNegativeInt
    days: PositiveInt | None = None  # default: clock.days_per_phase
    links: dict[str, LinkState] = {}  # linkages not named are absent

    @field_validator("links", mode="before")
    @classmethod
    def _bare_states(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: {"state": state} if isinstance(state, str) else state for key, state in value.items()}
        return value


class EntitySpec(_Model):
    id: Id | None = None
    baseline: NonNegativeInt  # tonnes emitted per phase without abatement
    allocation: NonNegativeInt  # free allocation per phase, tonnes
    slope: PositiveFraction  # marginal abatement cost slope, currency per tonne per tonne abated


class IntRange(_Model):
    low: NonNegativeInt
    high: NonNegativeInt

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.low > self.high:
            raise ValueError("low is above high")
        return self


class FractionRange(_Model):
    low: Exact
    high: Exact

    @model_validator(mode="after")
    def _ordered(self) -> FractionRange:
        if self.low > self.high:
            raise ValueError("low is above high")
        return self


class GeneratedEntities(_Model):
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


class Compliance(_Model):
    entities: list[EntitySpec] | None = None
    generate: GeneratedEntities | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Compliance:
        if (self.entities is None) == (self.generate is None):
            raise ValueError("give exactly one of entities or generate")
        return self


class MarketMakers(_Model):
    count: NonNegativeInt
    spread: Share  # quoted spread as a fraction of the mid price
    size: PositiveInt  # tonnes per quote


class NoiseTraders(_Model):
    count: NonNegativeInt
    rate: PositiveFraction  # orders per trader per business hour
    size: PositiveInt = 100  # largest order, tonnes


class TraderGroup(_Model):
    instrument: Id
    compliance: Compliance | None = None
    market_makers: MarketMakers | None = None
    noise: NoiseTraders | None = None


class Scenario(_Model):
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
