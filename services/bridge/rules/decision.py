"""What the rule engine answers: approved, refused or deferred, with every check it ran and its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.conversion import Split

from .reasons import ReasonCode
from .units import UnitClass


class Check(StrEnum):
    """The checks, in the fixed order the engine runs them."""

    CROSS_BORDER = "CROSS_BORDER"
    LINK_EXISTS = "LINK_EXISTS"
    LINK_STATUS = "LINK_STATUS"
    LINK_EFFECTIVE = "LINK_EFFECTIVE"
    UNIT_TYPE = "UNIT_TYPE"
    VINTAGE = "VINTAGE"
    ORIGIN = "ORIGIN"
    SENDER_ACCOUNT = "SENDER_ACCOUNT"
    RECEIVER_ACCOUNT = "RECEIVER_ACCOUNT"
    UNITS_HELD = "UNITS_HELD"
    SETTLEMENT_WINDOW = "SETTLEMENT_WINDOW"
    CONVERSION = "CONVERSION"
    LINK_PERIOD_CAP = "LINK_PERIOD_CAP"
    ACCOUNT_PERIOD_CAP = "ACCOUNT_PERIOD_CAP"
    OBLIGATION_SHARE = "OBLIGATION_SHARE"
    LOCAL_ORIGIN_SHARE = "LOCAL_ORIGIN_SHARE"
    HOLDING_LIMIT = "HOLDING_LIMIT"


class Outcome(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    DEFERRED = "DEFERRED"
    NOT_APPLICABLE = "NOT_APPLICABLE"


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """One audit line: which check, how it went, the reason code when it did not pass, and a short detail."""

    check: Check
    outcome: Outcome
    detail: str
    code: ReasonCode | None = None


class QuotaCounter(StrEnum):
    """Counters an approval uses. Scope: LINK_PERIOD (link, direction, period); ACCOUNT_PERIOD (link, direction,
    buyer, period); OBLIGATION_SHARE and FOREIGN_ORIGIN (buyer, period, across links); HOLDING (the buyer's
    holding, which the delivery itself credits)."""

    LINK_PERIOD = "LINK_PERIOD"
    ACCOUNT_PERIOD = "ACCOUNT_PERIOD"
    OBLIGATION_SHARE = "OBLIGATION_SHARE"
    FOREIGN_ORIGIN = "FOREIGN_ORIGIN"
    HOLDING = "HOLDING"


@dataclass(frozen=True, slots=True)
class QuotaUse:
    """Add ``amount`` to a counter, which must stay ``<= limit`` (``None``: no cap, count only).

    The executor re-checks ``current + amount <= limit`` atomically; ``current`` at decision time is recorded
    for the audit. ``account`` is None for the link-wide counter.
    """

    counter: QuotaCounter
    link_id: str
    from_registry: str
    to_registry: str
    account: str | None
    period: int
    current: int
    amount: int
    limit: int | None


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A corresponding adjustment entry: ``quantity`` (signed tonnes) added to ``registry``'s reported emissions."""

    registry: str
    period: int
    quantity: int
    link_id: str
    trade_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Approved:
    """Deliver: take ``quantities.consumed`` of ``sent_class`` from the seller (``quantities.remainder`` goes back),
    credit ``quantities.delivered`` of ``delivered_class`` to the buyer, ``quantities.levy`` to ``levy_account``
    and ``quantities.cancelled`` to ``cancellation_account``; apply the quota uses and adjustments."""

    trade_id: str
    link_id: str
    from_registry: str
    to_registry: str
    seller_account: str
    buyer_account: str
    period: int
    sent_class: UnitClass
    delivered_class: UnitClass
    quantities: Split
    quota_uses: tuple[QuotaUse, ...]
    adjustments: tuple[Adjustment, ...]
    checks: tuple[CheckOutcome, ...]

    @property
    def levy_account(self) -> str:
        return f"{self.to_registry}/LEVY"

    @property
    def cancellation_account(self) -> str:
        return f"{self.to_registry}/CANCELLATION"


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """Do not deliver; release both sides and tell them ``code`` (its stable ``name``) and ``message``."""

    trade_id: str
    link_id: str | None
    code: ReasonCode
    message: str
    details: tuple[tuple[str, str | int], ...]
    checks: tuple[CheckOutcome, ...]

    @property
    def name(self) -> str:
        return self.code.name


@dataclass(frozen=True, slots=True, kw_only=True)
class Deferred:
    """The link's settlement window is closed: evaluate again at ``retry_at`` (the next opening)."""

    trade_id: str
    link_id: str
    retry_at: int
    checks: tuple[CheckOutcome, ...]

    @property
    def code(self) -> ReasonCode:
        return ReasonCode.OUTSIDE_SETTLEMENT_WINDOW


Decision = Approved | Refused | Deferred
