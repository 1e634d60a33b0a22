"""Which directed rule applies to a delivery, among all agreements (unilateral, bilateral, multilateral)."""

from __future__ import annotations

from collections.abc import Iterable

from shared import eligibility

from .agreement import LinkageAgreement, LinkStatus
from .units import UnitClass

_STATUS_RANK = {LinkStatus.ACTIVE: 2, LinkStatus.SUSPENDED: 1, LinkStatus.TERMINATED: 0}


def covers(agreement: LinkageAgreement, unit_class: UnitClass) -> bool:
    """Whether the rule's qualitative limits admit this unit class."""
    return ineligible(agreement, unit_class) is None


def ineligible(agreement: LinkageAgreement, unit_class: UnitClass) -> str | None:
    """The first qualitative limit of the rule the unit class fails (``shared.eligibility``), or None."""
    rule = agreement.eligibility
    return eligibility.refusal(
        unit_type=unit_class.unit_type, vintage=unit_class.vintage, origin=unit_class.origin,
        unit_types=rule.unit_types, min_vintage=rule.min_vintage, max_vintage=rule.max_vintage,
        origins=agreement.eligible_origins,
    )


def find_agreement(
    agreements: Iterable[LinkageAgreement], *, from_registry: str, to_registry: str, unit_class: UnitClass, time: int
) -> LinkageAgreement | None:
    """The directed rule from ``from_registry`` into ``to_registry`` that best fits the delivery, or None.

    Among the rules for the pair, prefer one in force at ``time``, then one admitting the unit class, then the
    most active status, then the latest ``effective_from``, then the greatest link id (then the full
    terms, so that the choice never depends on the order of ``agreements``). A rule that does not
    fit is still returned when it is the only one, so that evaluation refuses with the precise reason.
    """
    candidates = [a for a in agreements if (a.from_registry, a.to_registry) == (from_registry, to_registry)]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda a: (
            a.is_effective(time), covers(a, unit_class), _STATUS_RANK[a.status], a.effective_from, a.link_id, repr(a)
        ),
    )
