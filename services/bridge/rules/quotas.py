"""The quantitative checks: link and account caps per period, obligation share, local-origin share, holding limit.

Every limit counts delivered tonnes. Each passed check yields the ``QuotaUse`` the executor re-checks atomically.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

from .agreement import LinkageAgreement
from .decision import Check, QuotaCounter, QuotaUse, Refused
from .reasons import ReasonCode
from .request import TransferRequest, Usage
from .trail import CheckTrail


def check_quotas(
    trail: CheckTrail,
    *,
    request: TransferRequest,
    agreement: LinkageAgreement,
    usage: Usage,
    period: int,
    delivered: int,
) -> tuple[QuotaUse, ...] | Refused:
    """The quota uses of delivering ``delivered`` tonnes, or the refusal of the first limit it would break."""
    limits = agreement.limits
    buyer = request.buyer_account
    uses: list[QuotaUse] = []

    def within(
        check: Check, code: ReasonCode, counter: QuotaCounter, *, account: str | None, current: int, limit: int | None
    ) -> Refused | None:
        """Check ``current + delivered <= limit`` (count only when ``limit`` is None) and record the use."""
        if limit is not None and current + delivered > limit:
            return trail.refuse(check, code, current=current, amount=delivered, limit=limit)
        if limit is not None:
            trail.passed(check, f"{current} + {delivered} <= {limit}")
        uses.append(
            QuotaUse(
                counter=counter,
                link_id=agreement.link_id,
                from_registry=agreement.from_registry,
                to_registry=agreement.to_registry,
                account=account,
                period=period,
                current=current,
                amount=delivered,
                limit=limit,
            )
        )
        return None

    if limits.period_cap is None:
        trail.not_applicable(Check.LINK_PERIOD_CAP, "no link cap")
    if refusal := within(
        Check.LINK_PERIOD_CAP, ReasonCode.PERIOD_CAP_EXCEEDED, QuotaCounter.LINK_PERIOD,
        account=None, current=usage.link_period_delivered, limit=limits.period_cap,
    ):
        return refusal

    if limits.account_period_cap is None:
        trail.not_applicable(Check.ACCOUNT_PERIOD_CAP, "no account cap")
    if refusal := within(
        Check.ACCOUNT_PERIOD_CAP, ReasonCode.ACCOUNT_CAP_EXCEEDED, QuotaCounter.ACCOUNT_PERIOD,
        account=buyer, current=usage.account_period_delivered, limit=limits.account_period_cap,
    ):
        return refusal

    if limits.obligation_share is None:
        trail.not_applicable(Check.OBLIGATION_SHARE, "no obligation share")
    elif refusal := within(
        Check.OBLIGATION_SHARE, ReasonCode.OBLIGATION_SHARE_EXCEEDED, QuotaCounter.OBLIGATION_SHARE,
        account=buyer, current=usage.obligation_units_counted,
        limit=floor(usage.obligation * Fraction(limits.obligation_share)),
    ):
        return refusal

    if limits.local_origin_min_share is None:
        trail.not_applicable(Check.LOCAL_ORIGIN_SHARE, "no local-origin rule")
    elif request.unit_class.origin == agreement.to_registry:
        trail.not_applicable(Check.LOCAL_ORIGIN_SHARE, "units are of local origin")
    elif refusal := within(
        Check.LOCAL_ORIGIN_SHARE, ReasonCode.LOCAL_ORIGIN_SHARE_BREACHED, QuotaCounter.FOREIGN_ORIGIN,
        account=buyer, current=usage.foreign_units_counted,
        limit=foreign_limit(usage.local_units_counted, Fraction(limits.local_origin_min_share)),
    ):
        return refusal

    if usage.receiver_holding_limit is None:
        trail.not_applicable(Check.HOLDING_LIMIT, "no holding limit")
    elif refusal := within(
        Check.HOLDING_LIMIT, ReasonCode.HOLDING_LIMIT_EXCEEDED, QuotaCounter.HOLDING,
        account=buyer, current=usage.receiver_holding, limit=usage.receiver_holding_limit,
    ):
        return refusal
    return tuple(uses)


def foreign_limit(local: int, min_local_share: Fraction) -> int:
    """The most foreign units F with F <= (1 - m)(local + F), i.e. m x F <= (1 - m) x local."""
    return floor((1 - min_local_share) * local / min_local_share)
