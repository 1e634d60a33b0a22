"""Linkage agreements: the directed rules that let units move from one registry into another, and their terms.

A link id names the agreement as operators know it; a ``LinkageAgreement`` is one direction of it. A
bilateral link is two directed rules sharing the link id, a multilateral link one rule per ordered pair of
members (see ``bilateral`` and ``multilateral``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from itertools import permutations

from shared.conversion import Split, conversion_factor, min_delivering_quantity, reverse_rate, split

from .calendar import SettlementCalendar
from .units import UnitType


def _require_exact(owner: object, *names: str) -> None:
    """Rates and shares must be exact: a float here would silently break conservation."""
    for name in names:
        value = getattr(owner, name)
        if value is not None and not isinstance(value, (int, Fraction)):
            raise TypeError(f"{name} must be a fractions.Fraction or an int, not {type(value).__name__}")


class LinkKind(StrEnum):
    UNILATERAL = "UNILATERAL"
    BILATERAL = "BILATERAL"
    MULTILATERAL = "MULTILATERAL"


class LinkStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


class InFlightPolicy(StrEnum):
    """What a suspension does to trades matched before it."""

    SETTLE = "SETTLE"
    REFUSE = "REFUSE"


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Qualitative limits. ``origins=None`` admits only units issued by the sending registry."""

    unit_types: frozenset[UnitType] = frozenset({UnitType.ALLOWANCE})
    min_vintage: int | None = None
    max_vintage: int | None = None
    origins: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not self.unit_types:
            raise ValueError("at least one unit type must be eligible")
        if self.min_vintage is not None and self.max_vintage is not None and self.min_vintage > self.max_vintage:
            raise ValueError("min_vintage must not be after max_vintage")
        if self.origins is not None and not self.origins:
            raise ValueError("origins must name at least one registry (None: the sending registry)")


@dataclass(frozen=True, slots=True)
class QuantityLimits:
    """Quantitative limits, all counted in delivered tonnes (what the buyer's account receives).

    ``local_origin_min_share``: at least this share of the units the buyer counts under the rule must be
    of the receiving registry's own origin (Guangdong: 7/10), i.e. foreign <= (1 - share) x (local + foreign).
    """

    period_cap: int | None = None
    account_period_cap: int | None = None
    obligation_share: Fraction | None = None
    local_origin_min_share: Fraction | None = None

    def __post_init__(self) -> None:
        _require_exact(self, "obligation_share", "local_origin_min_share")
        for name in ("period_cap", "account_period_cap"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.obligation_share is not None and not 0 <= self.obligation_share <= 1:
            raise ValueError("obligation_share must be within [0, 1]")
        if self.local_origin_min_share is not None and not 0 < self.local_origin_min_share <= 1:
            raise ValueError("local_origin_min_share must be within (0, 1]")


@dataclass(frozen=True, slots=True)
class Conversion:
    """One sent unit counts as ``exchange_rate x (1 - discount)`` receiving units.

    ``delivered_type`` is the type the buyer receives (e.g. CONVERTED, like Korea's KCU); None keeps the type.
    """

    exchange_rate: Fraction = Fraction(1)
    discount: Fraction = Fraction(0)
    delivered_type: UnitType | None = None

    def __post_init__(self) -> None:
        _require_exact(self, "exchange_rate", "discount")
        if self.exchange_rate <= 0:
            raise ValueError("exchange_rate must be > 0")
        if not 0 <= self.discount < 1:
            raise ValueError("discount must be within [0, 1)")

    @property
    def factor(self) -> Fraction:
        """Receiving units per sent unit."""
        return conversion_factor(self.exchange_rate, self.discount)


@dataclass(frozen=True, slots=True)
class Levies:
    """Shares of the gross converted quantity: first to the receiving registry's levy account, then cancelled."""

    share_of_proceeds: Fraction = Fraction(0)
    cancellation_share: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        _require_exact(self, "share_of_proceeds", "cancellation_share")
        if self.share_of_proceeds < 0 or self.cancellation_share < 0:
            raise ValueError("levy shares must be >= 0")
        if self.share_of_proceeds + self.cancellation_share >= 1:
            raise ValueError("levy shares must leave something to deliver (sum < 1)")


def split_quantity(sent: int, *, conversion: Conversion, levies: Levies) -> Split:
    """Split ``sent`` whole units under the conversion and levies (the rule: ``shared.conversion``)."""
    return split(sent, factor=conversion.factor, share_of_proceeds=levies.share_of_proceeds,
                 cancellation_share=levies.cancellation_share)


def min_fill(conversion: Conversion, levies: Levies) -> int:
    """The fill size from which every quantity sent under these terms delivers (``shared.conversion``)."""
    return min_delivering_quantity(factor=conversion.factor, share_of_proceeds=levies.share_of_proceeds,
                                   cancellation_share=levies.cancellation_share)


@dataclass(frozen=True, slots=True)
class SuspensionPolicy:
    """What a suspension does: to trades matched before it, and to resting orders that would need the link."""

    in_flight: InFlightPolicy = InFlightPolicy.REFUSE
    mass_cancel_resting: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkageAgreement:
    """A directed rule: units may move from ``from_registry`` into ``to_registry`` under these terms.

    In force for business times ``effective_from <= t < effective_until`` (``None``: open-ended).
    ``suspended_at`` is the business time of the suspension and is set exactly when status is SUSPENDED.
    """

    link_id: str
    kind: LinkKind
    from_registry: str
    to_registry: str
    effective_from: int
    effective_until: int | None = None
    group: str | None = None
    status: LinkStatus = LinkStatus.ACTIVE
    suspended_at: int | None = None
    eligibility: Eligibility = field(default_factory=Eligibility)
    limits: QuantityLimits = field(default_factory=QuantityLimits)
    conversion: Conversion = field(default_factory=Conversion)
    levies: Levies = field(default_factory=Levies)
    corresponding_adjustment: bool = False
    calendar: SettlementCalendar = field(default_factory=SettlementCalendar)
    suspension: SuspensionPolicy = field(default_factory=SuspensionPolicy)

    def __post_init__(self) -> None:
        if self.from_registry == self.to_registry:
            raise ValueError("a linkage agreement joins two different registries")
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effective_until must be after effective_from")
        if (self.kind is LinkKind.MULTILATERAL) != (self.group is not None):
            raise ValueError("a group name is given exactly for multilateral links")
        if (self.status is LinkStatus.SUSPENDED) != (self.suspended_at is not None):
            raise ValueError("suspended_at is set exactly when the status is SUSPENDED")

    @property
    def eligible_origins(self) -> frozenset[str]:
        return self.eligibility.origins if self.eligibility.origins is not None else frozenset({self.from_registry})

    def is_effective(self, time_ms: int) -> bool:
        return self.effective_from <= time_ms and (self.effective_until is None or time_ms < self.effective_until)


def unilateral(*, link_id: str, from_registry: str, to_registry: str, **terms: object) -> LinkageAgreement:
    """A one-way link (A accepts B's units, not the reverse)."""
    return LinkageAgreement(
        link_id=link_id, kind=LinkKind.UNILATERAL, from_registry=from_registry, to_registry=to_registry, **terms
    )


def bilateral(
    *, link_id: str, registries: tuple[str, str], reverse_exchange_rate: Fraction | None = None, **terms: object
) -> tuple[LinkageAgreement, LinkageAgreement]:
    """Mutual recognition: the two directed rules of one link, with the same terms each way except the exchange
    rate, which the reverse direction (second registry to first) takes as ``reverse_exchange_rate``, by default
    1 / exchange_rate: "one A unit counts as two B units" also means "two B units count as one A unit"."""
    a, b = registries
    forward = LinkageAgreement(link_id=link_id, kind=LinkKind.BILATERAL, from_registry=a, to_registry=b, **terms)
    conversion = replace(forward.conversion,
                         exchange_rate=reverse_rate(forward.conversion.exchange_rate, reverse_exchange_rate))
    backward = replace(forward, from_registry=b, to_registry=a, conversion=conversion)
    return forward, backward


def multilateral(*, link_id: str, group: str, members: Iterable[str], **terms: object) -> tuple[LinkageAgreement, ...]:
    """A multilateral link: one directed rule for every ordered pair of members, in a deterministic order."""
    return tuple(
        LinkageAgreement(
            link_id=link_id, kind=LinkKind.MULTILATERAL, group=group, from_registry=a, to_registry=b, **terms
        )
        for a, b in permutations(sorted(set(members)), 2)
    )


def suspend(agreement: LinkageAgreement, *, at: int) -> LinkageAgreement:
    """The agreement suspended at business time ``at`` (a no-op on an already suspended or terminated link)."""
    if agreement.status is not LinkStatus.ACTIVE:
        return agreement
    return replace(agreement, status=LinkStatus.SUSPENDED, suspended_at=at)


def resume(agreement: LinkageAgreement) -> LinkageAgreement:
    """A suspended agreement active again; a terminated one stays terminated."""
    if agreement.status is not LinkStatus.SUSPENDED:
        return agreement
    return replace(agreement, status=LinkStatus.ACTIVE, suspended_at=None)


def terminate(agreement: LinkageAgreement) -> LinkageAgreement:
    """The agreement terminated for good."""
    return replace(agreement, status=LinkStatus.TERMINATED, suspended_at=None)
