"""Reference data every service reads: registries, instruments, accounts and linkage agreement terms.

Pydantic models as the operator writes them and as they are stored (JSON in Redis, see reference_store).
Money is integer minor units, quantities integer tonnes, fractions exact strings (``"1/10"``, ``"0.05"``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared import eligibility
from shared.bands import band_limits
from shared.conversion import conversion_factor, min_delivering_quantity, reverse_rate
from shared.corridor import Corridor
from shared.fees import FeeSchedule
from shared.messages.vocabulary import Phase, SelfTradePrevention
from shared.money import AmountError, MINOR_UNIT_DIGITS, format_fraction, parse_fraction
from shared.quota import QuotaTerms

_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
RegistryId = Annotated[str, Field(pattern=rf"^{_NAME}$", examples=["CN-BJ"])]
InstrumentId = Annotated[str, Field(pattern=rf"^{_NAME}$", examples=["BJEA-2025"])]
AccountId = Annotated[str, Field(pattern=rf"^{_NAME}/{_NAME}$", examples=["CN-BJ/acme-steel"])]
PrincipalId = Annotated[str, Field(pattern=rf"^{_NAME}$", examples=["acme-desk"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])]
UnitType = Annotated[str, Field(pattern=r"^(ALLOWANCE|OFFSET|CONVERTED)$")]
Vintage = Annotated[int, Field(strict=True, ge=1990, le=2100)]
Tonnes = Annotated[int, Field(strict=True, ge=1, le=10**12)]  # strict: no true, "10" or 2.0
MinorAmount = Annotated[int, Field(strict=True, ge=1, le=10**15)]


def _fraction_text(value: str) -> str:
    if len(value) > 40:
        raise ValueError("a fraction is at most 40 characters")
    try:
        fraction = parse_fraction(value)
    except AmountError as err:
        raise ValueError(str(err)) from None
    return format_fraction(fraction)


def _share_text(value: str) -> str:
    text = _fraction_text(value)
    if not 0 <= Fraction(text) <= 1:
        raise ValueError("a share is between 0 and 1")
    return text


def _positive_text(value: str) -> str:
    text = _fraction_text(value)
    if Fraction(text) <= 0:
        raise ValueError("must be greater than 0")
    return text


Share = Annotated[str, AfterValidator(_share_text), Field(examples=["0.05"])]
PositiveFraction = Annotated[str, AfterValidator(_positive_text), Field(examples=["2"])]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Registry(_Model):
    """A registry: its currency and the compliance limits on offsets and foreign units (shares of obligation)."""

    id: RegistryId
    name: str = Field(default="", max_length=200)
    currency: Currency
    offset_share: Share | None = None
    foreign_share: Share | None = None

    @model_validator(mode="after")
    def _known_currency(self) -> Registry:
        if self.currency not in MINOR_UNIT_DIGITS:
            raise ValueError(f"unknown currency {self.currency}")
        return self


class UnitClass(_Model):
    origin: RegistryId
    type: UnitType
    vintage: Vintage

    @property
    def asset(self) -> str:
        return f"U:{self.origin}:{self.type}:{self.vintage}"


class Fees(_Model):
    maker_bps: int = Field(default=0, strict=True, ge=0, le=10_000)
    taker_bps: int = Field(default=0, strict=True, ge=0, le=10_000)
    min_fee: int = Field(default=0, strict=True, ge=0, le=10**12)


class Instrument(_Model):
    """A listed market: one unit class traded in one currency in one registry, with its trading rules."""

    id: InstrumentId
    registry: RegistryId
    currency: Currency
    unit: UnitClass
    tick: int = Field(strict=True, ge=1, le=10**9)
    lot: int = Field(strict=True, ge=1, le=10**9)
    min_quantity: Tonnes = 1
    max_quantity: Tonnes | None = None
    band: Share | None = None
    reference_price: MinorAmount | None = None
    circuit_breaker_move: Share | None = None
    circuit_breaker_window_ms: int | None = Field(default=None, ge=1, le=10**10)
    self_trade_prevention: SelfTradePrevention = SelfTradePrevention.CANCEL_INCOMING
    fees: Fees = Fees()
    phase: Phase = Phase.CLOSED

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        if self.currency not in MINOR_UNIT_DIGITS:
            raise ValueError(f"unknown currency {self.currency}")
        if self.max_quantity is not None and self.max_quantity < self.min_quantity:
            raise ValueError("max_quantity must be at least min_quantity")
        return self

    @property
    def fee_schedule(self) -> FeeSchedule:
        """The fees every fill of this instrument pays (see ``shared.fees``)."""
        return FeeSchedule(self.fees.maker_bps, self.fees.taker_bps, self.fees.min_fee)

    def band_limits(self, reference: int | None) -> tuple[int, int] | None:
        """Lowest and highest price the static band allows around the reference; None without band or reference."""
        return band_limits(None if self.band is None else Fraction(self.band), reference)

    @property
    def unit_asset(self) -> str:
        return self.unit.asset

    @property
    def currency_asset(self) -> str:
        return f"C:{self.currency}"


class Account(_Model):
    """A ledger account as the operator describes it, and the trader principals allowed to use it."""

    id: AccountId
    type: Annotated[str, Field(pattern=r"^(HOLDING|COMPLIANCE)$")] = "HOLDING"
    holder: str = Field(min_length=1, max_length=200)
    principals: tuple[PrincipalId, ...] = ()

    @property
    def registry(self) -> str:
        return self.id.partition("/")[0]


class Caps(_Model):
    """Quantitative limits in delivered tonnes per period, and as a share of the receiver's obligation."""

    per_period: int | None = Field(default=None, ge=0, le=10**12)
    per_account: int | None = Field(default=None, ge=0, le=10**12)
    share_of_obligation: Share | None = None
    local_origin_min_share: Share | None = None


class Calendar(_Model):
    """Weekdays on which the link settles (empty: immediately)."""

    weekdays: tuple[Annotated[str, Field(pattern=r"^(MON|TUE|WED|THU|FRI|SAT|SUN)$")], ...] = ()
    utc_offset: Annotated[str, Field(pattern=r"^[+-](0\d|1[0-4]):[0-5]\d$")] = "+00:00"


class SuspensionPolicy(_Model):
    in_flight: Annotated[str, Field(pattern=r"^(SETTLE|REFUSE)$")] = "REFUSE"
    mass_cancel_resting: bool = True




class LinkageTerms(_Model):
    """A linkage agreement as the operator states it; the bridge turns it into its directed rules.

    Unilateral: ``from_registry`` → ``to_registry``. Bilateral: both directions between the two.
    Multilateral: every ordered pair of ``members``. Times are business ms since the epoch.
    """

    id: RegistryId
    kind: Annotated[str, Field(pattern=r"^(UNILATERAL|BILATERAL|MULTILATERAL)$")]
    from_registry: RegistryId | None = None
    to_registry: RegistryId | None = None
    members: tuple[RegistryId, ...] = ()
    status: Annotated[str, Field(pattern=r"^(ACTIVE|SUSPENDED|TERMINATED)$")] = "ACTIVE"
    suspended_at: int | None = Field(default=None, ge=0)
    effective_from: int = Field(default=0, ge=0)
    effective_until: int | None = Field(default=None, ge=0)
    unit_types: tuple[UnitType, ...] = ("ALLOWANCE",)
    min_vintage: Vintage | None = None
    max_vintage: Vintage | None = None
    origins: tuple[RegistryId, ...] | None = None
    caps: Caps = Caps()
    exchange_rate: PositiveFraction = "1"
    reverse_exchange_rate: PositiveFraction | None = Field(
        default=None, description="bilateral links: the rate from to_registry back to from_registry; null: 1/exchange_rate")
    discount: Share = "0"
    delivered_type: UnitType | None = Field(
        default=None, description="the type the buyer receives (CONVERTED, like Korea's KCU); null keeps the type")
    levy_share: Share = "0"
    cancellation_share: Share = "0"
    corresponding_adjustment: bool = False
    calendar: Calendar = Calendar()
    suspension: SuspensionPolicy = SuspensionPolicy()
    corridor: Corridor | None = Field(default=None, description="a price corridor oversight watches (see shared.corridor)")

    @model_validator(mode="after")
    def _shape(self) -> LinkageTerms:
        if self.kind == "MULTILATERAL":
            if len(set(self.members)) < 2 or self.from_registry or self.to_registry:
                raise ValueError("a multilateral link names at least two members and no from/to")
        elif not self.from_registry or not self.to_registry or self.from_registry == self.to_registry or self.members:
            raise ValueError("a unilateral or bilateral link joins two different registries (from_registry, to_registry)")
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effective_until must be after effective_from")
        if self.reverse_exchange_rate is not None:
            if self.kind != "BILATERAL":
                raise ValueError("reverse_exchange_rate belongs to a bilateral link")
            reverse_rate(Fraction(self.exchange_rate), Fraction(self.reverse_exchange_rate))  # refuses a round-trip gain
        if Fraction(self.discount) >= 1:
            raise ValueError("discount must be below 1")
        if Fraction(self.levy_share) + Fraction(self.cancellation_share) >= 1:
            raise ValueError("levy_share + cancellation_share must be below 1")
        if self.min_vintage is not None and self.max_vintage is not None and self.min_vintage > self.max_vintage:
            raise ValueError("min_vintage must not exceed max_vintage")
        return self

    def directions(self) -> tuple[tuple[str, str], ...]:
        """The directed (from, to) registry pairs the link opens."""
        if self.kind == "MULTILATERAL":
            members = sorted(set(self.members))
            return tuple((a, b) for a in members for b in members if a != b)
        assert self.from_registry and self.to_registry
        pairs = ((self.from_registry, self.to_registry),)
        return pairs + ((self.to_registry, self.from_registry),) if self.kind == "BILATERAL" else pairs

    def exchange_rate_for(self, from_registry: str, to_registry: str) -> Fraction:
        """The rate one direction converts at: the agreed rate, and back across a bilateral link the agreed
        reverse rate (by default 1 / exchange_rate)."""
        if self.kind == "BILATERAL" and (from_registry, to_registry) == (self.to_registry, self.from_registry):
            return reverse_rate(Fraction(self.exchange_rate),
                                None if self.reverse_exchange_rate is None else Fraction(self.reverse_exchange_rate))
        return Fraction(self.exchange_rate)

    def conversion_factor_for(self, from_registry: str, to_registry: str) -> Fraction:
        """Receiving units per unit sent this way (``shared.conversion``)."""
        return conversion_factor(self.exchange_rate_for(from_registry, to_registry), Fraction(self.discount))

    def min_fill_for(self, from_registry: str, to_registry: str) -> int:
        """The smallest fill of an order crossing this way: from it on, every quantity delivers at least one unit
        after conversion and both levies (``shared.conversion.min_delivering_quantity``)."""
        return min_delivering_quantity(factor=self.conversion_factor_for(from_registry, to_registry),
                                       share_of_proceeds=Fraction(self.levy_share),
                                       cancellation_share=Fraction(self.cancellation_share))

    def quota_terms(self, from_registry: str, to_registry: str) -> QuotaTerms:
        """One direction's conversion factor and caps, as pre-trade quota reserves against them."""
        share = self.caps.share_of_obligation
        return QuotaTerms(factor=self.conversion_factor_for(from_registry, to_registry),
                          period_cap=self.caps.per_period, account_cap=self.caps.per_account,
                          obligation_share=None if share is None else Fraction(share))

    def admits(self, *, from_registry: str, to_registry: str, unit: UnitClass, at: int) -> str | None:
        """Why this link does not let ``unit`` move from → to at business time ``at``; None if it does."""
        if (from_registry, to_registry) not in self.directions():
            return "NO_LINK"
        if self.status != "ACTIVE":
            return f"LINK_{self.status}"
        if at < self.effective_from or (self.effective_until is not None and at >= self.effective_until):
            return "LINK_NOT_EFFECTIVE"
        return eligibility.refusal(
            unit_type=unit.type, vintage=unit.vintage, origin=unit.origin, unit_types=self.unit_types,
            min_vintage=self.min_vintage, max_vintage=self.max_vintage,
            origins=self.origins if self.origins is not None else (from_registry,))
