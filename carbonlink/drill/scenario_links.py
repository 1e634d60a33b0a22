"""The scenario's linkage agreements (caps, vintages, calendar, suspension policy, conversion, price corridor) and
the timeline of phases giving each linkage's state."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from carbonlink.drill.scenario_fields import Currency, Id, PositiveFraction, Price, ScenarioModel, Share, UnitType


class Caps(ScenarioModel):
    # both counted by the bridge per compliance period (a calendar year of business time), not per phase
    per_period: NonNegativeInt | None = None  # tonnes credited in the importing registry
    per_account: NonNegativeInt | None = None  # tonnes credited to one importing account
    share_of_obligation: Share | None = None  # of the importing entity's obligation


class Vintages(ScenarioModel):
    min: int | None = None
    max: int | None = None


class Calendar(ScenarioModel):
    """Weekdays on which the link settles transfers (EU–Switzerland: Tuesday and Thursday)."""

    weekdays: Annotated[list[Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]], Field(min_length=1)]


class SuspensionPolicy(ScenarioModel):
    """What a suspension does at once (Ontario 2018: trading stopped, units held abroad stayed valid)."""

    resting_orders: Literal["cancel", "keep"] = "cancel"
    in_transit: Literal["return", "complete"] = "return"
    foreign_holdings: Literal["keep_valid", "freeze"] = "keep_valid"


class Corridor(ScenarioModel):
    """A price corridor on the agreement (G7-style harmonised floor and ceiling): market oversight converts each
    linked market's last price into ``currency`` (at the scenario's ``fx``, and at the link's exchange rate for its
    ``from`` registry) and runs ``action`` when a market leaves ``floor``..``ceiling`` (decimal prices per tonne in
    ``currency``): ``ALERT`` only, ``HALT`` the market, or ``BAND`` (its next sessions' band narrowed to it)."""

    currency: Currency
    floor: Price
    ceiling: Price
    action: Literal["ALERT", "HALT", "BAND"] = "ALERT"

    @model_validator(mode="after")
    def _ordered(self) -> Corridor:
        if self.floor >= self.ceiling:
            raise ValueError("a corridor's floor must be below its ceiling")
        return self


class Linkage(ScenarioModel):
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
    corridor: Corridor | None = None  # set on the agreement at setup, kept through every phase

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


class LinkState(ScenarioModel):
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


class Phase(ScenarioModel):
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
