"""Pure fee and reservation arithmetic, one home for order entry and settlement: fee schedules, what a buy
order reserves, each fill's portion of it, and truing a reservation up after an amend.

All amounts are integers in the currency's minor unit; prices are minor units per tonne. Standard library only.

How a buy order's cash reservation is consumed: ``share(c) = L·c + reserve_fee(L·c)`` is what the order sets
aside for its first ``c`` tonnes at its limit ``L``; the order reserves ``share(Q)`` and the fill that takes
the filled quantity from ``c − q`` to ``c`` consumes ``share(c) − share(c − q)``. The consumptions telescope,
so a fully filled order consumes exactly its reservation and leaves no dust (``shared.cash_legs`` splits a
portion into what the buyer pays and what is released).

An amended order starts afresh: from the amend on it is an order of its open quantity at its new limit, and
its reservation is trued up to ``buy_reservation`` of that (a sell: one unit per open tonne).
"""

from __future__ import annotations

from dataclasses import dataclass

BPS = 10_000


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """An instrument's fees: maker and taker rates in basis points of notional, and a minimum fee."""

    maker_bps: int
    taker_bps: int
    min_fee: int = 0

    def __post_init__(self) -> None:
        if min(self.maker_bps, self.taker_bps, self.min_fee) < 0:
            raise ValueError("fees must not be negative")

    @property
    def reserve_bps(self) -> int:
        """The rate an order reserves for: it does not know yet whether it will make or take."""
        return max(self.maker_bps, self.taker_bps)

    def fee(self, notional: int, *, maker: bool) -> int:
        """The fee on a notional, floored to the minor unit, at least the minimum fee (0 on a 0 notional)."""
        return _fee(notional, self.maker_bps if maker else self.taker_bps, self.min_fee)


def _fee(notional: int, bps: int, min_fee: int) -> int:
    if notional < 0:
        raise ValueError("notional must not be negative")
    if notional == 0:
        return 0
    return max(min_fee, notional * bps // BPS)


def reserved_share(schedule: FeeSchedule, *, limit_price: int, filled: int) -> int:
    """What a buy order at ``limit_price`` sets aside for its first ``filled`` tonnes, fee included."""
    notional = limit_price * filled
    return notional + _fee(notional, schedule.reserve_bps, schedule.min_fee)


def buy_reservation(schedule: FeeSchedule, *, limit_price: int, quantity: int) -> int:
    """Cash a buy order reserves: limit × qty + fee(limit × qty). Market buys pass the band limit as the limit."""
    require_positive(limit_price=limit_price, quantity=quantity)
    return reserved_share(schedule, limit_price=limit_price, filled=quantity)


def fill_portion(schedule: FeeSchedule, *, limit_price: int, order_qty: int, filled_before: int, qty: int) -> int:
    """The part of a buy order's reservation that belongs to a fill of ``qty`` after ``filled_before`` tonnes."""
    require_positive(limit_price=limit_price, order_qty=order_qty, qty=qty)
    if filled_before < 0 or filled_before + qty > order_qty:
        raise ValueError("the fill does not fit in the order")
    after = reserved_share(schedule, limit_price=limit_price, filled=filled_before + qty)
    return after - reserved_share(schedule, limit_price=limit_price, filled=filled_before)


@dataclass(frozen=True, slots=True)
class TrueUp:
    """A reservation brought to what its order needs: ``kept`` stays reserved, ``released`` goes back to
    available, and ``shortfall`` is what is missing when it held less than needed (nothing is created)."""

    kept: int
    released: int
    shortfall: int


def true_up(*, held: int, needed: int) -> TrueUp:
    """Release what a reservation holds above what its order needs; never take it below zero."""
    if held < 0 or needed < 0:
        raise ValueError("a reservation and a need are never negative")
    kept = min(held, needed)
    return TrueUp(kept=kept, released=held - kept, shortfall=needed - kept)


def require_positive(**values: int) -> None:
    """Raise ValueError naming the first value that is not a positive integer."""
    for name, value in values.items():
        if type(value) is not int or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
