"""The equilibrium model's terms: compliance entities, markets (required abatement, responsiveness, autarky
price, abatement cost), arcs (one direction of a link), the outcomes per market and arc, and a market's net
imports under given flows. Pure: standard library only, exact Fractions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol


@dataclass(frozen=True)
class Entity:
    """A compliance entity: MAC slope (money per tonne per tonne), baseline emissions and free allocation."""

    slope: Fraction
    baseline: Fraction
    allocation: Fraction

    @property
    def required(self) -> Fraction:
        return Fraction(self.baseline) - Fraction(self.allocation)


@dataclass(frozen=True)
class Market:
    """The compliance entities of one market (in the scenario mapping: one registry), and the ``stock`` of
    units held there by accounts without an obligation (dealers), which the entities may buy."""

    id: str
    entities: tuple[Entity, ...]
    stock: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        if not self.entities:
            raise ValueError(f"market {self.id} has no compliance entities")
        if any(entity.slope <= 0 for entity in self.entities):
            raise ValueError(f"market {self.id} has a MAC slope that is not positive")

    @property
    def required(self) -> Fraction:
        """Required abatement in autarky: Σ(baseline − allocation) − stock, tonnes."""
        return sum((entity.required for entity in self.entities), Fraction(0)) - Fraction(self.stock)

    @property
    def responsiveness(self) -> Fraction:
        """Σ 1/slope: tonnes the market abates per unit of price."""
        return sum((1 / Fraction(entity.slope) for entity in self.entities), Fraction(0))

    @property
    def autarky_price(self) -> Fraction:
        return max(Fraction(0), self.required / self.responsiveness)

    def abatement_cost(self, price: Fraction) -> Fraction:
        """Σ slope·a²/2 with every entity abating price/slope."""
        return self.responsiveness * price * price / 2


class Terms(Protocol):
    """What the solver reads of a market: its required abatement and responsiveness (a :class:`Market`, or a
    market whose abatement is fixed, which keeps only what is left to cover)."""

    @property
    def required(self) -> Fraction: ...

    @property
    def responsiveness(self) -> Fraction: ...


@dataclass(frozen=True)
class Arc:
    """One direction of a link: ``origin`` units moved, each counting as ``rate`` ``destination`` units."""

    id: str
    origin: str
    destination: str
    rate: Fraction = Fraction(1)
    cap: Fraction | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"arc {self.id}: rate must be positive")
        if self.cap is not None and self.cap < 0:
            raise ValueError(f"arc {self.id}: cap must not be negative")
        if self.origin == self.destination:
            raise ValueError(f"arc {self.id}: origin and destination are the same market")


@dataclass(frozen=True)
class MarketOutcome:
    """One market at equilibrium (money in the solver's currency, quantities in tonnes)."""

    price: Fraction
    abatement: Fraction
    net_import: Fraction  # units received (after conversion) minus units sent
    abatement_cost: Fraction
    purchase_cost: Fraction  # paid for imports minus received for exports
    autarky_price: Fraction
    autarky_cost: Fraction

    @property
    def compliance_cost(self) -> Fraction:
        return self.abatement_cost + self.purchase_cost

    @property
    def gain(self) -> Fraction:
        return self.autarky_cost - self.compliance_cost


@dataclass(frozen=True)
class ArcOutcome:
    flow: Fraction  # origin tonnes moved
    delivered: Fraction  # destination units credited: flow × rate
    rent: Fraction  # scarcity rent of the cap: flow × (rate × p_destination − p_origin)
    binding: bool


@dataclass(frozen=True)
class Equilibrium:
    markets: dict[str, MarketOutcome]
    arcs: dict[str, ArcOutcome]
    max_gain: Fraction  # gain if the markets each arc connects were pooled at 1:1 without caps
    exact: bool

    @property
    def gain(self) -> Fraction:
        """Realised gains from trade: total autarky cost minus total compliance cost."""
        return sum((market.gain for market in self.markets.values()), Fraction(0))

    @property
    def efficiency(self) -> Fraction | None:
        """gain / max_gain, or None when no gain is possible."""
        return self.gain / self.max_gain if self.max_gain > 0 else None


def net_imports(markets: Mapping[str, Terms], arcs: Sequence[Arc], flows: Sequence[Fraction]) -> dict[str, Fraction]:
    imported = dict.fromkeys(markets, Fraction(0))
    for arc, flow in zip(arcs, flows):
        imported[arc.origin] -= flow
        imported[arc.destination] += arc.rate * flow
    return imported
