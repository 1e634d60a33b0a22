"""Pre-trade rules, pure: an order's terms against its instrument, phase and reference price, and the amount
its reservation must hold. Each refusal carries a stable code; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.bands import narrow
from shared.fees import FeeSchedule, buy_reservation, reserved_share
from shared.messages.vocabulary import OrderType, Phase, Side, TimeInForce
from shared.phases import ORDER_ENTRY_PHASES
from shared.reference import Instrument

@dataclass(frozen=True, slots=True)
class Refusal(Exception):
    """Why an order may not go ahead: an HTTP status, a stable code and the facts behind it."""

    status: int
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Terms:
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    price: int | None
    quantity: int
    expire_at: int | None = None


@dataclass(frozen=True, slots=True)
class Reservation:
    """What to set aside: ``amount`` of ``asset``; for buys the limit price the amount was computed at."""

    asset: str
    amount: int
    limit_price: int | None


def check_phase(phase: Phase, instrument_id: str) -> None:
    if phase not in ORDER_ENTRY_PHASES:
        raise Refusal(409, "MARKET_NOT_OPEN", f"{instrument_id} does not accept orders in phase {phase}",
                      {"phase": str(phase)})


def check_quantity(quantity: int, instrument: Instrument, *, check_min: bool = True) -> None:
    if quantity % instrument.lot:
        raise Refusal(422, "QUANTITY_NOT_ON_LOT", f"quantity must be a multiple of the lot {instrument.lot}",
                      {"lot": instrument.lot})
    if check_min and quantity < instrument.min_quantity:
        raise Refusal(422, "QUANTITY_BELOW_MIN", f"quantity is below the minimum {instrument.min_quantity}",
                      {"min_quantity": instrument.min_quantity})
    if instrument.max_quantity is not None and quantity > instrument.max_quantity:
        raise Refusal(422, "QUANTITY_ABOVE_MAX", f"quantity is above the maximum {instrument.max_quantity}",
                      {"max_quantity": instrument.max_quantity})


def check_price(price: int, instrument: Instrument, band: tuple[int, int] | None) -> None:
    if price <= 0:
        raise Refusal(422, "INVALID_PRICE", "price must be positive")
    if price % instrument.tick:
        raise Refusal(422, "PRICE_NOT_ON_TICK", f"price must be a multiple of the tick {instrument.tick}",
                      {"tick": instrument.tick})
    if band is not None and not band[0] <= price <= band[1]:
        raise Refusal(422, "PRICE_OUTSIDE_BAND", "price is outside the instrument's price band",
                      {"low": band[0], "high": band[1]})


def check_order(terms: Terms, instrument: Instrument, *, phase: Phase, reference: int | None, now: int,
                clip: tuple[int, int] | None = None) -> None:
    """Every check of a new order that depends only on the instrument, its phase, the reference price and the
    session's band override (``clip``)."""
    check_phase(phase, instrument.id)
    if terms.order_type is OrderType.POST_ONLY and terms.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
        raise Refusal(422, "INVALID_TIME_IN_FORCE", "a post-only order cannot be IOC or FOK")
    if terms.time_in_force is TimeInForce.GTD:
        if terms.expire_at is None:
            raise Refusal(422, "EXPIRY_REQUIRED", "a GTD order needs expire_at")
        if terms.expire_at <= now:
            raise Refusal(422, "EXPIRY_IN_PAST", "expire_at must be in the future", {"now": now})
    elif terms.expire_at is not None:
        raise Refusal(422, "EXPIRY_NOT_ALLOWED", "only GTD orders take expire_at")
    check_quantity(terms.quantity, instrument)
    band = narrow(instrument.band_limits(reference), clip)
    if terms.order_type is OrderType.MARKET:
        if terms.price is not None:
            raise Refusal(422, "PRICE_NOT_ALLOWED", "a market order has no price")
        if terms.side is Side.BUY and band is None:
            raise Refusal(422, "MARKET_BUY_NEEDS_BAND",
                          "a market buy needs a price band and a reference price to bound its reservation")
    else:
        if terms.price is None:
            raise Refusal(422, "PRICE_REQUIRED", f"a {terms.order_type} order needs a price")
        check_price(terms.price, instrument, band)


def reservation_for(terms: Terms, instrument: Instrument, *, reference: int | None,
                    clip: tuple[int, int] | None = None) -> Reservation:
    """Buy: limit × qty + the fee bound (a market buy at the band's upper limit); sell: the units themselves."""
    if terms.side is Side.SELL:
        return Reservation(instrument.unit_asset, terms.quantity, None)
    limit = terms.price
    if limit is None:
        band = narrow(instrument.band_limits(reference), clip)
        assert band is not None, "check_order refuses market buys without a band"
        limit = band[1]
    amount = buy_reservation(instrument.fee_schedule, limit_price=limit, quantity=terms.quantity)
    return Reservation(instrument.currency_asset, amount, limit)


def amend_increase(*, side: Side, fees: FeeSchedule, old_price: int | None, new_price: int | None, filled: int,
                   old_leaves: int, new_leaves: int) -> int:
    """How much more an amended order must reserve (0 when it needs no more), from the order's known state.

    A buy at limit L has set aside share_L(filled + leaves) − share_L(filled) for its open tonnes. When matching
    reports the amend, settlement rebases the reservation to a fresh order of leaves' tonnes at L' (see
    `shared.ledger.entries.rebase_order`), which needs buy_reservation(L', leaves'); the difference is reserved
    now, and any excess is released at the rebase. A sell needs one unit per open tonne. A market order (no
    price) keeps the limit it was reserved at.
    """
    if side is Side.SELL:
        return max(0, new_leaves - old_leaves)
    if old_price is None or new_price is None:
        return 0
    held = reserved_share(fees, limit_price=old_price, filled=filled + old_leaves) - reserved_share(
        fees, limit_price=old_price, filled=filled)
    return max(0, buy_reservation(fees, limit_price=new_price, quantity=new_leaves) - held)
