"""Field checks for new orders and amends against the instrument's rules; each returns a reason code or None."""

from __future__ import annotations

from services.matching.core import reasons as r
from services.matching.core.commands import SubmitOrder
from services.matching.core.instrument import InstrumentRules
from services.matching.core.vocabulary import GTD, IMMEDIATE, MARKET, ORDER_TYPES, POST_ONLY, SIDES, STP_MODES, TIMES_IN_FORCE


def quantity_reason(quantity: object, rules: InstrumentRules, *, check_min: bool) -> str | None:
    """Amends skip the minimum: an order's open quantity may legitimately fall below it after fills."""
    if type(quantity) is not int or quantity <= 0:
        return r.INVALID_QUANTITY
    if quantity % rules.lot:
        return r.QUANTITY_NOT_ON_LOT
    if check_min and rules.min_quantity is not None and quantity < rules.min_quantity:
        return r.QUANTITY_BELOW_MIN
    if rules.max_quantity is not None and quantity > rules.max_quantity:
        return r.QUANTITY_ABOVE_MAX
    return None


def price_reason(price: object, rules: InstrumentRules, band: tuple[int, int] | None) -> str | None:
    if type(price) is not int or price <= 0:
        return r.INVALID_PRICE
    if price % rules.tick:
        return r.PRICE_NOT_ON_TICK
    if band is not None and not band[0] <= price <= band[1]:
        return r.PRICE_OUTSIDE_BAND
    return None


def submit_reason(cmd: SubmitOrder, rules: InstrumentRules, band: tuple[int, int] | None) -> str | None:
    """Everything about a new order that does not depend on the book or the phase."""
    if type(cmd.side) is not str or cmd.side not in SIDES:
        return r.INVALID_SIDE
    order_type = cmd.order_type
    if type(order_type) is not str or order_type not in ORDER_TYPES:
        return r.INVALID_ORDER_TYPE
    tif = cmd.time_in_force
    if type(tif) is not str or tif not in TIMES_IN_FORCE or (order_type == POST_ONLY and tif in IMMEDIATE):
        return r.INVALID_TIME_IN_FORCE
    reason = quantity_reason(cmd.quantity, rules, check_min=True)
    if reason is not None:
        return reason
    if order_type == MARKET:
        if cmd.price is not None:
            return r.INVALID_PRICE
    else:
        reason = price_reason(cmd.price, rules, band)
        if reason is not None:
            return reason
    if tif == GTD and (type(cmd.expire_at) is not int or cmd.expire_at <= cmd.ts):
        return r.INVALID_EXPIRY
    stp = cmd.stp
    if stp is not None and (type(stp) is not str or stp not in STP_MODES):
        return r.INVALID_STP_MODE
    return None
