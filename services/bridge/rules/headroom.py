"""Pre-trade quota headroom of a cross-border order, pure: what it may still take of its link's caps.

A buy order across a link will, filled in full, credit the buyer at most ``credited_at_most(quantity)`` units
(the conversion's delivered units, levies and cancellation taken out, rounded down; its fills round down
separately, so their parts never add up to more). The caps the bridge checks at settlement — the link's
period cap, the buyer's account period cap on the link, the buyer's obligation share — each count the units
already delivered in the period and the units resting orders have reserved; an order fits when its
credited units fit under every one of them, and reserves them. The bridge keeps its own final check.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor

from .agreement import LinkageAgreement
from .conversion import split_quantity
from .reasons import ReasonCode

__all__ = ["QuotaState", "admit", "credited_at_most", "headroom", "largest_quantity"]


@dataclass(frozen=True, slots=True)
class QuotaState:
    """The period's counters an order across ``agreement`` is judged against: delivered and reserved units."""

    link_delivered: int = 0
    link_reserved: int = 0
    account_delivered: int = 0
    account_reserved: int = 0
    obligation: int = 0  # the buyer's obligation (verified or expected emissions) for the period
    obligation_counted: int = 0
    obligation_reserved: int = 0


def credited_at_most(quantity: int, agreement: LinkageAgreement) -> int:
    """Units the buyer is credited if ``quantity`` crosses ``agreement`` in one delivery (0 for nothing)."""
    if quantity <= 0:
        return 0
    return split_quantity(quantity, conversion=agreement.conversion, levies=agreement.levies).delivered


def headroom(agreement: LinkageAgreement, state: QuotaState) -> tuple[int | None, ReasonCode | None]:
    """Credited units still free under the tightest cap (None: uncapped), and that cap's reason code."""
    limits = agreement.limits
    rooms: list[tuple[int, ReasonCode]] = []
    if limits.period_cap is not None:
        rooms.append((limits.period_cap - state.link_delivered - state.link_reserved, ReasonCode.PERIOD_CAP_EXCEEDED))
    if limits.account_period_cap is not None:
        rooms.append((limits.account_period_cap - state.account_delivered - state.account_reserved,
                      ReasonCode.ACCOUNT_CAP_EXCEEDED))
    if limits.obligation_share is not None:
        cap = floor(state.obligation * Fraction(limits.obligation_share))
        rooms.append((cap - state.obligation_counted - state.obligation_reserved,
                      ReasonCode.OBLIGATION_SHARE_EXCEEDED))
    if not rooms:
        return None, None
    room, code = min(rooms, key=lambda pair: pair[0])
    return max(0, room), code


def admit(agreement: LinkageAgreement, state: QuotaState, quantity: int) -> ReasonCode | None:
    """Why an order for ``quantity`` cannot rest on the link now (the bridge's reason code), or None."""
    room, code = headroom(agreement, state)
    if room is None or credited_at_most(quantity, agreement) <= room:
        return None
    return code


def largest_quantity(agreement: LinkageAgreement, state: QuotaState, *, quantity: int, lot: int = 1) -> int:
    """The largest multiple of ``lot``, at most ``quantity``, whose credited units fit the headroom."""
    room, _ = headroom(agreement, state)
    if room is None:
        return quantity // lot * lot
    low, high = 0, quantity // lot  # in lots; credited_at_most grows with the quantity
    while low < high:
        middle = (low + high + 1) // 2
        if credited_at_most(middle * lot, agreement) <= room:
            low = middle
        else:
            high = middle - 1
    return low * lot
