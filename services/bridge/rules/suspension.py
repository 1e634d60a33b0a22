"""What suspending a link means for the trades in flight and the orders resting on its instruments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .agreement import LinkageAgreement, LinkStatus
from .engine import settles_despite_suspension
from .request import TransferRequest
from .units import UnitType


@dataclass(frozen=True, slots=True)
class MassCancel:
    """Cancel resting orders placed by accounts of ``account_registry`` on instruments of units that would cross
    the suspended rule: units of one of ``unit_origins`` and ``unit_types`` held in ``held_in``."""

    link_id: str
    account_registry: str
    held_in: str
    unit_origins: frozenset[str]
    unit_types: frozenset[UnitType]


@dataclass(frozen=True, slots=True)
class SuspensionPlan:
    """Trades to settle as usual, trades to refuse now (reason LINK_SUSPENDED), and resting orders to cancel."""

    settle: tuple[str, ...]
    refuse: tuple[str, ...]
    mass_cancel: tuple[MassCancel, ...]


def plan_suspension(rules: Sequence[LinkageAgreement], in_flight: Iterable[TransferRequest]) -> SuspensionPlan:
    """The plan for the suspended directed ``rules`` of one link and the deliveries waiting to cross them.

    A trade matched before the suspension settles when the rule's policy is SETTLE; every other in-flight trade
    is refused (always, on a terminated rule). For each rule that mass-cancels, the buyers' side (accounts of
    the receiving registry) loses its resting orders on instruments of units the rule admits.
    """
    if any(rule.status is LinkStatus.ACTIVE for rule in rules):
        raise ValueError("plan a suspension for suspended or terminated rules only")
    by_direction = {(rule.from_registry, rule.to_registry): rule for rule in rules}
    settle: list[str] = []
    refuse: list[str] = []
    for request in in_flight:
        rule = by_direction.get((request.from_registry, request.to_registry))
        if rule is None:
            raise ValueError(f"trade {request.trade_id} does not cross any of the given rules")
        (settle if settles_despite_suspension(rule, request.matched_at) else refuse).append(request.trade_id)
    mass_cancel = tuple(
        MassCancel(
            link_id=rule.link_id,
            account_registry=rule.to_registry,
            held_in=rule.from_registry,
            unit_origins=rule.eligible_origins,
            unit_types=rule.eligibility.unit_types,
        )
        for rule in rules
        if rule.suspension.mass_cancel_resting
    )
    return SuspensionPlan(settle=tuple(settle), refuse=tuple(refuse), mass_cancel=mass_cancel)
