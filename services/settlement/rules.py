"""Pure settlement rules: fee schedules, buyer reservations, and the cash legs of one fill.

All amounts are integers in the currency's minor unit; prices are minor units per tonne. Standard library only.

How a buy order's cash reservation is consumed: ``share(c) = L·c + reserve_fee(L·c)`` is what the order sets
aside for its first ``c`` tonnes at its limit ``L``; the order reserves ``share(Q)`` and the fill that takes
the filled quantity from ``c − q`` to ``c`` consumes ``share(c) − share(c − q)``. The consumptions telescope,
so a fully filled order consumes exactly its reservation and leaves no dust. From its portion the buyer pays
price × q plus its fee (never more than the fee part of the portion); the rest is price improvement, released.

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
    _require_positive(limit_price=limit_price, quantity=quantity)
    return reserved_share(schedule, limit_price=limit_price, filled=quantity)


def fill_portion(schedule: FeeSchedule, *, limit_price: int, order_qty: int, filled_before: int, qty: int) -> int:
    """The part of a buy order's reservation that belongs to a fill of ``qty`` after ``filled_before`` tonnes."""
    _require_positive(limit_price=limit_price, order_qty=order_qty, qty=qty)
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


@dataclass(frozen=True, slots=True)
class BuyerLeg:
    """The buyer's side of a fill: taken from its reservation, paid (notional + fee), and released."""

    consumed: int
    notional: int
    fee: int
    released: int

    @property
    def paid(self) -> int:
        return self.notional + self.fee


def split_buyer_portion(
    schedule: FeeSchedule, *, portion: int, limit_price: int, qty: int, price: int, maker: bool
) -> BuyerLeg:
    """Split a reserved portion into notional, fee (capped by the portion's fee part) and price improvement."""
    _require_positive(limit_price=limit_price, qty=qty, price=price)
    if price > limit_price:
        raise ValueError("a buyer never pays above its limit")
    notional = price * qty
    fee_room = portion - limit_price * qty
    if fee_room < 0:
        raise ValueError("the portion does not cover the fill at the limit price")
    fee = min(schedule.fee(notional, maker=maker), fee_room)
    return BuyerLeg(consumed=portion, notional=notional, fee=fee, released=portion - notional - fee)


@dataclass(frozen=True, slots=True)
class SellerLeg:
    notional: int
    fee: int

    @property
    def received(self) -> int:
        return self.notional - self.fee


def seller_leg(schedule: FeeSchedule, *, price: int, qty: int, maker: bool) -> SellerLeg:
    """The seller receives the notional less its fee; the fee never exceeds the notional."""
    _require_positive(price=price, qty=qty)
    notional = price * qty
    return SellerLeg(notional=notional, fee=min(schedule.fee(notional, maker=maker), notional))


@dataclass(frozen=True, slots=True)
class FillCash:
    """Both cash legs of one fill. Conservation: buyer.paid == seller.received + fees."""

    buyer: BuyerLeg
    seller: SellerLeg

    @property
    def fees(self) -> int:
        return self.buyer.fee + self.seller.fee


def fill_cash(
    schedule: FeeSchedule,
    *,
    limit_price: int,
    order_qty: int,
    filled_before: int,
    qty: int,
    price: int,
    buyer_is_maker: bool,
) -> FillCash:
    """The cash legs of a domestic fill of ``qty`` at ``price`` against a buy order with the given terms."""
    portion = fill_portion(
        schedule, limit_price=limit_price, order_qty=order_qty, filled_before=filled_before, qty=qty
    )
    buyer = split_buyer_portion(
        schedule, portion=portion, limit_price=limit_price, qty=qty, price=price, maker=buyer_is_maker
    )
    return FillCash(buyer=buyer, seller=seller_leg(schedule, price=price, qty=qty, maker=not buyer_is_maker))


def _require_positive(**values: int) -> None:
    for name, value in values.items():
        if type(value) is not int or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
