"""Pre-trade quota of cross-border orders, pure: what a buy across a link reserves of the link's caps, the share
each of its fills takes, and the headroom left. One home for order entry (which reserves), settlement (which
moves a fill's share into the trade's hold), the bridge (whose delivery consumes it) and the drills.

The caps the bridge checks at settlement — the link's period cap per direction, the buyer's account cap on the
link, the buyer's obligation share — count delivered units. An order reserves ``reserved_units(quantity)``: the
gross receiving units its whole quantity converts to, floor(quantity × factor), before levies and cancellation.
That bounds what any fill of it delivers; and the fills' shares, taken cumulatively (``fill_share``), add up to
exactly the reservation while each covers its own fill's gross (floor is superadditive), so a fill always fits
what its order reserved. What a delivery credits below its share (levies) returns to the headroom on delivery.

Beside each delivered counter, a reserved counter holds what resting orders and trades awaiting the bridge have
reserved (key layout: ``shared.read_models.linkage``); an order fits when, under every cap, delivered + reserved
+ its reservation stays within the cap. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from math import floor

from shared.bridge_reasons import ReasonCode

__all__ = ["CapKind", "Limit", "QuotaState", "QuotaTerms", "admit", "fill_share", "headroom", "largest_quantity",
           "limits", "reserved_units"]


class CapKind(StrEnum):
    """Which counter a cap bounds: the link's direction, the buyer's account on it, the buyer's obligation share."""

    LINK = "LINK"
    ACCOUNT = "ACCOUNT"
    OBLIGATION = "OBLIGATION"


_CODES = {
    CapKind.LINK: ReasonCode.PERIOD_CAP_EXCEEDED,
    CapKind.ACCOUNT: ReasonCode.ACCOUNT_CAP_EXCEEDED,
    CapKind.OBLIGATION: ReasonCode.OBLIGATION_SHARE_EXCEEDED,
}


@dataclass(frozen=True, slots=True)
class QuotaTerms:
    """One direction of a link as its quota sees it: receiving units per sent unit, and its caps."""

    factor: Fraction
    period_cap: int | None = None
    account_cap: int | None = None
    obligation_share: Fraction | None = None


@dataclass(frozen=True, slots=True)
class Limit:
    """One counter an order reserves on: its cap (None: counted, not capped) and the bridge's code past it."""

    kind: CapKind
    cap: int | None
    code: ReasonCode


@dataclass(frozen=True, slots=True)
class QuotaState:
    """The period's counters an order is judged against: delivered and reserved units per cap."""

    link_delivered: int = 0
    link_reserved: int = 0
    account_delivered: int = 0
    account_reserved: int = 0
    obligation: int = 0  # the buyer's obligation (verified or expected emissions) for the period
    obligation_counted: int = 0
    obligation_reserved: int = 0


def reserved_units(quantity: int, terms: QuotaTerms) -> int:
    """Receiving units an order of ``quantity`` reserves: the gross its whole quantity converts to."""
    return floor(quantity * Fraction(terms.factor)) if quantity > 0 else 0


def fill_share(terms: QuotaTerms, *, filled_before: int, qty: int) -> int:
    """The part of its order's reservation a fill of ``qty`` takes after ``filled_before`` tonnes were filled."""
    return reserved_units(filled_before + qty, terms) - reserved_units(filled_before, terms)


def limits(terms: QuotaTerms, *, obligation: int) -> tuple[Limit, ...]:
    """The counters an order across this direction reserves on: the link always (its use is public), the
    account and the obligation share when capped (the cap of an obligation share is floor(obligation × share))."""
    found = [Limit(CapKind.LINK, terms.period_cap, _CODES[CapKind.LINK])]
    if terms.account_cap is not None:
        found.append(Limit(CapKind.ACCOUNT, terms.account_cap, _CODES[CapKind.ACCOUNT]))
    if terms.obligation_share is not None:
        found.append(Limit(CapKind.OBLIGATION, floor(obligation * Fraction(terms.obligation_share)),
                           _CODES[CapKind.OBLIGATION]))
    return tuple(found)


def headroom(terms: QuotaTerms, state: QuotaState) -> tuple[int | None, ReasonCode | None]:
    """Units still free under the tightest cap (None: uncapped), and that cap's reason code."""
    taken = {
        CapKind.LINK: state.link_delivered + state.link_reserved,
        CapKind.ACCOUNT: state.account_delivered + state.account_reserved,
        CapKind.OBLIGATION: state.obligation_counted + state.obligation_reserved,
    }
    rooms = [(limit.cap - taken[limit.kind], limit.code)
             for limit in limits(terms, obligation=state.obligation) if limit.cap is not None]
    if not rooms:
        return None, None
    room, code = min(rooms, key=lambda pair: pair[0])
    return max(0, room), code


def admit(terms: QuotaTerms, state: QuotaState, quantity: int) -> ReasonCode | None:
    """Why an order for ``quantity`` cannot rest on the link now (the bridge's reason code), or None."""
    room, code = headroom(terms, state)
    if room is None or reserved_units(quantity, terms) <= room:
        return None
    return code


def largest_quantity(terms: QuotaTerms, state: QuotaState, *, quantity: int, lot: int = 1) -> int:
    """The largest multiple of ``lot``, at most ``quantity``, whose reservation fits the headroom."""
    room, _ = headroom(terms, state)
    if room is None:
        return quantity // lot * lot
    low, high = 0, quantity // lot  # in lots; reserved_units grows with the quantity
    while low < high:
        middle = (low + high + 1) // 2
        if reserved_units(middle * lot, terms) <= room:
            low = middle
        else:
            high = middle - 1
    return low * lot
