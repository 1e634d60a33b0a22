"""Pure settlement rules: the cash legs of one fill, from the buyer's reserved portion (``shared.fees``).

From its portion the buyer pays price × q plus its fee (never more than the fee part of the portion); the rest is
price improvement, released. The seller receives the notional less its fee. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.fees import FeeSchedule, fill_portion, require_positive


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
    require_positive(limit_price=limit_price, qty=qty, price=price)
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
    require_positive(price=price, qty=qty)
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
