"""The linkage rule engine: judge one cross-registry delivery against its agreement and usage counters.

Checks run in the fixed order of ``Check`` and stop at the first that does not pass; the decision carries
every check that ran. Pure: the same request, agreement and usage always give the same decision.
"""

from __future__ import annotations

from collections.abc import Callable

from shared import eligibility

from .agreement import InFlightPolicy, LinkageAgreement, LinkStatus
from .calendar import calendar_year
from .agreement import split_quantity
from .decision import Adjustment, Approved, Check, Decision, Deferred, Outcome, Refused
from .lookup import ineligible
from .quotas import check_quotas
from .reasons import ReasonCode
from .request import TransferRequest, Usage
from .trail import CheckTrail
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
    trail = CheckTrail(request.trade_id)
    if request.from_registry == request.to_registry:
        return trail.refuse(Check.CROSS_BORDER, ReasonCode.SAME_REGISTRY, registry=request.from_registry)
    trail.passed(Check.CROSS_BORDER, f"{request.from_registry} -> {request.to_registry}")

    direction = (request.from_registry, request.to_registry)
    if agreement is None or (agreement.from_registry, agreement.to_registry) != direction:
        return trail.refuse(
            Check.LINK_EXISTS, ReasonCode.LINK_NOT_FOUND, from_registry=direction[0], to_registry=direction[1]
        )
    trail.link_id = agreement.link_id
    trail.passed(Check.LINK_EXISTS, agreement.link_id)

    refusal = (
        _check_status(trail, agreement, request)
        or _check_effective(trail, agreement, request)
        or _check_eligibility(trail, agreement, request)
        or _check_accounts(trail, request, usage)
    )
    if refusal:
        return refusal

    opening = agreement.calendar.next_opening(request.time)
    if opening != request.time:
        if not agreement.is_effective(opening):
            return trail.refuse(Check.SETTLEMENT_WINDOW, ReasonCode.NO_WINDOW_BEFORE_EXPIRY, next_opening=opening)
        trail.record(
            Check.SETTLEMENT_WINDOW, Outcome.DEFERRED, f"opens at {opening}", ReasonCode.OUTSIDE_SETTLEMENT_WINDOW
        )
        return Deferred(trade_id=request.trade_id, link_id=agreement.link_id, retry_at=opening, checks=trail.outcomes())
    trail.passed(Check.SETTLEMENT_WINDOW, "immediate" if agreement.calendar.is_immediate else "window open")

    split = split_quantity(request.quantity, conversion=agreement.conversion, levies=agreement.levies)
    if split.delivered == 0:
        return trail.refuse(
            Check.CONVERSION, ReasonCode.ZERO_DELIVERED_AFTER_CONVERSION, sent=split.sent, gross=split.gross
        )
    trail.passed(Check.CONVERSION, f"sent {split.sent}, delivered {split.delivered}")

    period = period_of(request.time)
    uses = check_quotas(
        trail, request=request, agreement=agreement, usage=usage, period=period, delivered=split.delivered
    )
    if isinstance(uses, Refused):
        return uses

    return Approved(
        trade_id=request.trade_id,
        link_id=agreement.link_id,
        from_registry=request.from_registry,
        to_registry=request.to_registry,
        seller_account=request.seller_account,
        buyer_account=request.buyer_account,
        period=period,
        sent_class=request.unit_class,
        delivered_class=UnitClass(
            origin=request.unit_class.origin,
            unit_type=agreement.conversion.delivered_type or request.unit_class.unit_type,
            vintage=request.unit_class.vintage,
        ),
        quantities=split,
        quota_uses=uses,
        adjustments=_adjustments(request, agreement, usage, period, split.delivered),
        checks=trail.outcomes(),
    )


def settles_despite_suspension(agreement: LinkageAgreement, matched_at: int) -> bool:
    """Whether a trade matched at ``matched_at`` still settles on this suspended rule (SETTLE, matched before)."""
    return (
        agreement.status is LinkStatus.SUSPENDED
        and agreement.suspension.in_flight is InFlightPolicy.SETTLE
        and agreement.suspended_at is not None
        and matched_at < agreement.suspended_at
    )


def _check_status(trail: CheckTrail, agreement: LinkageAgreement, request: TransferRequest) -> Refused | None:
    if agreement.status is LinkStatus.TERMINATED:
        return trail.refuse(Check.LINK_STATUS, ReasonCode.LINK_TERMINATED, link_id=agreement.link_id)
    if agreement.status is LinkStatus.ACTIVE:
        trail.passed(Check.LINK_STATUS, "active")
        return None
    if not settles_despite_suspension(agreement, request.matched_at):
        return trail.refuse(
            Check.LINK_STATUS,
            ReasonCode.LINK_SUSPENDED,
            suspended_at=agreement.suspended_at,
            matched_at=request.matched_at,
            in_flight_policy=agreement.suspension.in_flight,
        )
    trail.passed(Check.LINK_STATUS, "suspended; matched before the suspension and the policy is SETTLE")
    return None


def _check_effective(trail: CheckTrail, agreement: LinkageAgreement, request: TransferRequest) -> Refused | None:
    if request.time < agreement.effective_from:
        return trail.refuse(
            Check.LINK_EFFECTIVE, ReasonCode.LINK_NOT_YET_EFFECTIVE, effective_from=agreement.effective_from
        )
    if not agreement.is_effective(request.time):
        return trail.refuse(Check.LINK_EFFECTIVE, ReasonCode.LINK_EXPIRED, effective_until=agreement.effective_until)
    trail.passed(Check.LINK_EFFECTIVE, "in force")
    return None


def _check_eligibility(trail: CheckTrail, agreement: LinkageAgreement, request: TransferRequest) -> Refused | None:
    unit_class = request.unit_class
    rule = agreement.eligibility
    failed = ineligible(agreement, unit_class)
    if failed == eligibility.UNIT_TYPE_NOT_ELIGIBLE:
        return trail.refuse(
            Check.UNIT_TYPE,
            ReasonCode.UNIT_TYPE_NOT_ELIGIBLE,
            unit_type=unit_class.unit_type,
            eligible=",".join(sorted(rule.unit_types)),
        )
    trail.passed(Check.UNIT_TYPE, str(unit_class.unit_type))

    if failed == eligibility.VINTAGE_NOT_ELIGIBLE:
        bounds = {"min_vintage": rule.min_vintage, "max_vintage": rule.max_vintage}
        return trail.refuse(
            Check.VINTAGE,
            ReasonCode.VINTAGE_NOT_ELIGIBLE,
            vintage=unit_class.vintage,
            **{key: value for key, value in bounds.items() if value is not None},
        )
    trail.passed(Check.VINTAGE, str(unit_class.vintage))

    if failed == eligibility.ORIGIN_NOT_ELIGIBLE:
        return trail.refuse(
            Check.ORIGIN,
            ReasonCode.ORIGIN_NOT_ELIGIBLE,
            origin=unit_class.origin,
            eligible=",".join(sorted(agreement.eligible_origins)),
        )
    trail.passed(Check.ORIGIN, unit_class.origin)
    return None


def _check_accounts(trail: CheckTrail, request: TransferRequest, usage: Usage) -> Refused | None:
    if usage.sender_blocked:
        return trail.refuse(Check.SENDER_ACCOUNT, ReasonCode.SENDER_ACCOUNT_BLOCKED, account=request.seller_account)
    trail.passed(Check.SENDER_ACCOUNT, request.seller_account)
    if usage.receiver_blocked:
        return trail.refuse(Check.RECEIVER_ACCOUNT, ReasonCode.RECEIVER_ACCOUNT_BLOCKED, account=request.buyer_account)
    trail.passed(Check.RECEIVER_ACCOUNT, request.buyer_account)
    if usage.sender_held < request.quantity:
        return trail.refuse(
            Check.UNITS_HELD, ReasonCode.UNITS_NOT_HELD_BY_SENDER, held=usage.sender_held, quantity=request.quantity
        )
    trail.passed(Check.UNITS_HELD, f"held {usage.sender_held}")
    return None


def _adjustments(
    request: TransferRequest, agreement: LinkageAgreement, usage: Usage, period: int, delivered: int
) -> tuple[Adjustment, ...]:
    """On the first transfer out of their origin, the origin reports +delivered and the receiver -delivered."""
    origin = request.unit_class.origin
    if not agreement.corresponding_adjustment or usage.units_already_adjusted or origin == agreement.to_registry:
        return ()
    return tuple(
        Adjustment(
            registry=registry, period=period, quantity=quantity, link_id=agreement.link_id, trade_id=request.trade_id
        )
        for registry, quantity in ((origin, delivered), (agreement.to_registry, -delivered))
    )
