"""The linkage rule engine: judge one cross-registry delivery against its agreement and usage counters.

Checks run in the fixed order of ``Check`` and stop at the first that does not pass; the decision carries
every check that ran. Pure: same request, agreement and usage give the same decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from math import floor

from .agreement import InFlightPolicy, LinkageAgreement, LinkStatus
from .calendar import calendar_year
from .conversion import split_quantity
from .decision import (
    Adjustment,
    Approved,
    Check,
    CheckOutcome,
    Decision,
    Deferred,
    Outcome,
    QuotaCounter,
    QuotaUse,
    Refused,
)
from .reasons import ReasonCode
from .request import TransferRequest, Usage
from .units import UnitClass


def evaluate(
    request: TransferRequest,
    agreement: LinkageAgreement | None,
    usage: Usage,
    *,
    period_of: Callable[[int], int] = calendar_year,
) -> Decision:
    """Approve, refuse or defer ``request`` under ``agreement`` (None when no rule covers the pair).

    ``usage`` holds the counters for the period ``period_of(request.time)``.
    """
    run = _Run(request, agreement)
    if request.from_registry == request.to_registry:
        return run.refuse(Check.CROSS_BORDER, ReasonCode.SAME_REGISTRY, registry=request.from_registry)
    run.passed(Check.CROSS_BORDER, f"{request.from_registry} -> {request.to_registry}")

    if agreement is None or (agreement.from_registry, agreement.to_registry) != (
        request.from_registry,
        request.to_registry,
    ):
        return run.refuse(
            Check.LINK_EXISTS, ReasonCode.LINK_NOT_FOUND, from_registry=request.from_registry, to_registry=request.to_registry
        )
    run.passed(Check.LINK_EXISTS, agreement.link_id)

    refusal = _check_status(run, agreement) or _check_effective(run, agreement) or _check_eligibility(run, agreement)
    refusal = refusal or _check_accounts(run, usage)
    if refusal:
        return refusal

    opening = agreement.calendar.next_opening(request.time)
    if opening != request.time:
        if not agreement.is_effective(opening):
            return run.refuse(Check.SETTLEMENT_WINDOW, ReasonCode.NO_WINDOW_BEFORE_EXPIRY, next_opening=opening)
        run.record(Check.SETTLEMENT_WINDOW, Outcome.DEFERRED, f"opens at {opening}", ReasonCode.OUTSIDE_SETTLEMENT_WINDOW)
        return Deferred(trade_id=request.trade_id, link_id=agreement.link_id, retry_at=opening, checks=run.outcomes())
    run.passed(Check.SETTLEMENT_WINDOW, "immediate" if agreement.calendar.is_immediate else "window open")

    split = split_quantity(request.quantity, conversion=agreement.conversion, levies=agreement.levies)
    if split.delivered == 0:
        return run.refuse(
            Check.CONVERSION, ReasonCode.ZERO_DELIVERED_AFTER_CONVERSION, sent=split.sent, gross=split.gross
        )
    run.passed(Check.CONVERSION, f"sent {split.sent}, delivered {split.delivered}")

    period = period_of(request.time)
    uses = _QuotaUses(request, agreement, period, split.delivered)
    refusal = _check_quotas(run, agreement, usage, uses)
    if refusal:
        return refusal

    delivered_class = UnitClass(
        origin=request.unit_class.origin,
        unit_type=agreement.conversion.delivered_type or request.unit_class.unit_type,
        vintage=request.unit_class.vintage,
    )
    return Approved(
        trade_id=request.trade_id,
        link_id=agreement.link_id,
        from_registry=request.from_registry,
        to_registry=request.to_registry,
        seller_account=request.seller_account,
        buyer_account=request.buyer_account,
        period=period,
        sent_class=request.unit_class,
        delivered_class=delivered_class,
        quantities=split,
        quota_uses=tuple(uses.items),
        adjustments=_adjustments(request, agreement, usage, period, split.delivered),
        checks=run.outcomes(),
    )


def settles_despite_suspension(agreement: LinkageAgreement, matched_at: int) -> bool:
    """Whether a trade matched at ``matched_at`` still settles on this suspended link (policy SETTLE, matched before)."""
    return (
        agreement.status is LinkStatus.SUSPENDED
        and agreement.suspension.in_flight is InFlightPolicy.SETTLE
        and agreement.suspended_at is not None
        and matched_at < agreement.suspended_at
    )


@dataclass
class _Run:
    """The audit trail of one evaluation."""

    request: TransferRequest
    agreement: LinkageAgreement | None
    _outcomes: list[CheckOutcome] = field(default_factory=list)

    def record(self, check: Check, outcome: Outcome, detail: str, code: ReasonCode | None = None) -> None:
        self._outcomes.append(CheckOutcome(check, outcome, detail, code))

    def passed(self, check: Check, detail: str) -> None:
        self.record(check, Outcome.PASSED, detail)

    def not_applicable(self, check: Check, detail: str) -> None:
        self.record(check, Outcome.NOT_APPLICABLE, detail)

    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return tuple(self._outcomes)

    def refuse(self, check: Check, code: ReasonCode, **details: object) -> Refused:
        detail = ", ".join(f"{key}={value}" for key, value in details.items())
        self.record(check, Outcome.FAILED, detail, code)
        return Refused(
            trade_id=self.request.trade_id,
            link_id=self.agreement.link_id if self.agreement else None,
            code=code,
            message=code.message,
            details=tuple((key, value if isinstance(value, int) else str(value)) for key, value in details.items()),
            checks=self.outcomes(),
        )


def _check_status(run: _Run, agreement: LinkageAgreement) -> Refused | None:
    if agreement.status is LinkStatus.TERMINATED:
        return run.refuse(Check.LINK_STATUS, ReasonCode.LINK_TERMINATED, link_id=agreement.link_id)
    if agreement.status is LinkStatus.SUSPENDED:
        if not settles_despite_suspension(agreement, run.request.matched_at):
            return run.refuse(
                Check.LINK_STATUS,
                ReasonCode.LINK_SUSPENDED,
                suspended_at=agreement.suspended_at,
                matched_at=run.request.matched_at,
                in_flight_policy=agreement.suspension.in_flight,
            )
        run.passed(Check.LINK_STATUS, "suspended; matched before suspension and policy is SETTLE")
        return None
    run.passed(Check.LINK_STATUS, "active")
    return None


def _check_effective(run: _Run, agreement: LinkageAgreement) -> Refused | None:
    time = run.request.time
    if time < agreement.effective_from:
        return run.refuse(Check.LINK_EFFECTIVE, ReasonCode.LINK_NOT_YET_EFFECTIVE, effective_from=agreement.effective_from)
    if not agreement.is_effective(time):
        return run.refuse(Check.LINK_EFFECTIVE, ReasonCode.LINK_EXPIRED, effective_until=agreement.effective_until)
    run.passed(Check.LINK_EFFECTIVE, "in force")
    return None


def _check_eligibility(run: _Run, agreement: LinkageAgreement) -> Refused | None:
    unit_class = run.request.unit_class
    rule = agreement.eligibility
    if unit_class.unit_type not in rule.unit_types:
        return run.refuse(
            Check.UNIT_TYPE,
            ReasonCode.UNIT_TYPE_NOT_ELIGIBLE,
            unit_type=unit_class.unit_type,
            eligible=",".join(sorted(rule.unit_types)),
        )
    run.passed(Check.UNIT_TYPE, str(unit_class.unit_type))
    too_old = rule.min_vintage is not None and unit_class.vintage < rule.min_vintage
    too_new = rule.max_vintage is not None and unit_class.vintage > rule.max_vintage
    if too_old or too_new:
        bounds = {"min_vintage": rule.min_vintage, "max_vintage": rule.max_vintage}
        return run.refuse(
            Check.VINTAGE,
            ReasonCode.VINTAGE_NOT_ELIGIBLE,
            vintage=unit_class.vintage,
            **{key: value for key, value in bounds.items() if value is not None},
        )
    run.passed(Check.VINTAGE, str(unit_class.vintage))
    if unit_class.origin not in agreement.eligible_origins:
        return run.refuse(
            Check.ORIGIN,
            ReasonCode.ORIGIN_NOT_ELIGIBLE,
            origin=unit_class.origin,
            eligible=",".join(sorted(agreement.eligible_origins)),
        )
    run.passed(Check.ORIGIN, unit_class.origin)
    return None


def _check_accounts(run: _Run, usage: Usage) -> Refused | None:
    request = run.request
    if usage.sender_blocked:
        return run.refuse(Check.SENDER_ACCOUNT, ReasonCode.SENDER_ACCOUNT_BLOCKED, account=request.seller_account)
    run.passed(Check.SENDER_ACCOUNT, request.seller_account)
    if usage.receiver_blocked:
        return run.refuse(Check.RECEIVER_ACCOUNT, ReasonCode.RECEIVER_ACCOUNT_BLOCKED, account=request.buyer_account)
    run.passed(Check.RECEIVER_ACCOUNT, request.buyer_account)
    if usage.sender_held < request.quantity:
        return run.refuse(
            Check.UNITS_HELD, ReasonCode.UNITS_NOT_HELD_BY_SENDER, held=usage.sender_held, quantity=request.quantity
        )
    run.passed(Check.UNITS_HELD, f"held {usage.sender_held}")
    return None


@dataclass
class _QuotaUses:
    """Collects the counters an approval will use."""

    request: TransferRequest
    agreement: LinkageAgreement
    period: int
    amount: int
    items: list[QuotaUse] = field(default_factory=list)

    def add(self, counter: QuotaCounter, *, account: str | None, current: int, limit: int | None) -> None:
        self.items.append(
            QuotaUse(
                counter=counter,
                link_id=self.agreement.link_id,
                from_registry=self.agreement.from_registry,
                to_registry=self.agreement.to_registry,
                account=account,
                period=self.period,
                current=current,
                amount=self.amount,
                limit=limit,
            )
        )


def _within(run: _Run, check: Check, code: ReasonCode, *, current: int, amount: int, limit: int) -> Refused | None:
    if current + amount > limit:
        return run.refuse(check, code, current=current, amount=amount, limit=limit)
    run.passed(check, f"{current} + {amount} <= {limit}")
    return None


def _check_quotas(run: _Run, agreement: LinkageAgreement, usage: Usage, uses: _QuotaUses) -> Refused | None:
    limits = agreement.limits
    buyer = run.request.buyer_account
    delivered = uses.amount

    if limits.period_cap is None:
        run.not_applicable(Check.LINK_PERIOD_CAP, "no link cap")
    elif refusal := _within(
        run, Check.LINK_PERIOD_CAP, ReasonCode.PERIOD_CAP_EXCEEDED,
        current=usage.link_period_delivered, amount=delivered, limit=limits.period_cap,
    ):
        return refusal
    uses.add(QuotaCounter.LINK_PERIOD, account=None, current=usage.link_period_delivered, limit=limits.period_cap)

    if limits.account_period_cap is None:
        run.not_applicable(Check.ACCOUNT_PERIOD_CAP, "no account cap")
    elif refusal := _within(
        run, Check.ACCOUNT_PERIOD_CAP, ReasonCode.ACCOUNT_CAP_EXCEEDED,
        current=usage.account_period_delivered, amount=delivered, limit=limits.account_period_cap,
    ):
        return refusal
    uses.add(
        QuotaCounter.ACCOUNT_PERIOD, account=buyer, current=usage.account_period_delivered, limit=limits.account_period_cap
    )

    if limits.obligation_share is None:
        run.not_applicable(Check.OBLIGATION_SHARE, "no obligation share")
    else:
        limit = floor(usage.obligation * Fraction(limits.obligation_share))
        if refusal := _within(
            run, Check.OBLIGATION_SHARE, ReasonCode.OBLIGATION_SHARE_EXCEEDED,
            current=usage.obligation_units_counted, amount=delivered, limit=limit,
        ):
            return refusal
        uses.add(QuotaCounter.OBLIGATION_SHARE, account=buyer, current=usage.obligation_units_counted, limit=limit)

    if limits.local_origin_min_share is None:
        run.not_applicable(Check.LOCAL_ORIGIN_SHARE, "no local-origin rule")
    elif run.request.unit_class.origin == agreement.to_registry:
        run.not_applicable(Check.LOCAL_ORIGIN_SHARE, "units are of local origin")
    else:
        limit = _foreign_limit(usage.local_units_counted, Fraction(limits.local_origin_min_share))
        if refusal := _within(
            run, Check.LOCAL_ORIGIN_SHARE, ReasonCode.LOCAL_ORIGIN_SHARE_BREACHED,
            current=usage.foreign_units_counted, amount=delivered, limit=limit,
        ):
            return refusal
        uses.add(QuotaCounter.FOREIGN_ORIGIN, account=buyer, current=usage.foreign_units_counted, limit=limit)

    if usage.receiver_holding_limit is None:
        run.not_applicable(Check.HOLDING_LIMIT, "no holding limit")
    else:
        if refusal := _within(
            run, Check.HOLDING_LIMIT, ReasonCode.HOLDING_LIMIT_EXCEEDED,
            current=usage.receiver_holding, amount=delivered, limit=usage.receiver_holding_limit,
        ):
            return refusal
        uses.add(QuotaCounter.HOLDING, account=buyer, current=usage.receiver_holding, limit=usage.receiver_holding_limit)
    return None


def _foreign_limit(local: int, min_local_share: Fraction) -> int:
    """The most foreign units F with F <= (1 - m)(local + F), i.e. m x F <= (1 - m) x local."""
    return floor((1 - min_local_share) * local / min_local_share)


def _adjustments(
    request: TransferRequest, agreement: LinkageAgreement, usage: Usage, period: int, delivered: int
) -> tuple[Adjustment, ...]:
    """On the first transfer out of their origin, the origin reports +delivered and the receiver -delivered."""
    origin = request.unit_class.origin
    if not agreement.corresponding_adjustment or usage.units_already_adjusted or origin == agreement.to_registry:
        return ()
    return (
        Adjustment(registry=origin, period=period, quantity=delivered, link_id=agreement.link_id, trade_id=request.trade_id),
        Adjustment(
            registry=agreement.to_registry,
            period=period,
            quantity=-delivered,
            link_id=agreement.link_id,
            trade_id=request.trade_id,
        ),
    )
