"""Checks of new orders and amends against the phase and the instrument's rules; each returns a reason code or None.

`submit_reason` is the full check, in the order that decides which reason a bad order gets. The engine first
runs a cheaper test that passes exactly the orders `submit_reason` accepts (`ENTRY_KINDS` answers the side,
type, time-in-force and phase questions with one dict lookup; fields the rules make trivial are not looked at)
and calls `submit_reason` only for an order that fails it, to name the reason.
"""

from __future__ import annotations

from typing import Any

from services.matching.core import reasons as r
from services.matching.core.instrument import InstrumentRules
from services.matching.core.vocabulary import (BUY, CLOSED, CONTINUOUS, FOK, GTD, IMMEDIATE, MARKET,
                                               ORDER_ENTRY_PHASES, ORDER_TYPES, PHASES, POST_ONLY, SELL, STP_MODES,
                                               TIMES_IN_FORCE)


Kind = tuple[bool, bool, bool, bool, bool, bool]


def kind_of(side: str, order_type: str, tif: str) -> Kind:
    """What a valid new order's side, type and time in force mean to the engine:
    (is_buy, market, post_only, fok, rests, gtd)."""
    immediate = order_type == MARKET or tif in IMMEDIATE
    return side == BUY, order_type == MARKET, order_type == POST_ONLY, tif == FOK, not immediate, tif == GTD


def _entry_kinds(phase: str) -> dict[tuple[str, str, str], Kind]:
    kinds = {}
    if phase in ORDER_ENTRY_PHASES:
        for side in (BUY, SELL):
            for order_type in ORDER_TYPES:
                for tif in TIMES_IN_FORCE:
                    immediate = order_type == MARKET or tif in IMMEDIATE
                    if not ((order_type == POST_ONLY and tif in IMMEDIATE) or (phase != CONTINUOUS and immediate)):
                        kinds[(side, order_type, tif)] = kind_of(side, order_type, tif)
    return kinds


#: Per phase: the `kind_of` every (side, order type, time in force) a new order may have in that phase.
ENTRY_KINDS = {phase: _entry_kinds(phase) for phase in PHASES}


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


def submit_reason(cmd: Any, rules: InstrumentRules, band: tuple[int, int] | None, phase: str,
                  known_order_ids: set[str]) -> str | None:
    """Everything about a new order that does not depend on the book: phase, id, account and fields.

    One function with the checks inline: it runs for every new order, so it avoids helper calls.
    """
    if phase not in ORDER_ENTRY_PHASES:
        return r.MARKET_CLOSED if phase == CLOSED else r.INSTRUMENT_HALTED
    order_id = cmd.order_id
    if type(order_id) is not str or not order_id:
        return r.INVALID_ORDER_ID
    if order_id in known_order_ids:
        return r.DUPLICATE_ORDER_ID
    if type(cmd.account) is not str or not cmd.account:
        return r.INVALID_ACCOUNT
    side = cmd.side
    if side != BUY and side != SELL:
        return r.INVALID_SIDE
    order_type = cmd.order_type
    if not isinstance(order_type, str) or order_type not in ORDER_TYPES:
        return r.INVALID_ORDER_TYPE
    tif = cmd.time_in_force
    if not isinstance(tif, str) or tif not in TIMES_IN_FORCE or (order_type == POST_ONLY and tif in IMMEDIATE):
        return r.INVALID_TIME_IN_FORCE
    quantity = cmd.quantity
    if type(quantity) is not int or quantity <= 0:
        return r.INVALID_QUANTITY
    if quantity % rules.lot:
        return r.QUANTITY_NOT_ON_LOT
    if rules.min_quantity is not None and quantity < rules.min_quantity:
        return r.QUANTITY_BELOW_MIN
    if rules.max_quantity is not None and quantity > rules.max_quantity:
        return r.QUANTITY_ABOVE_MAX
    min_fill = cmd.min_fill
    if type(min_fill) is not int or min_fill < 1:
        return r.INVALID_MIN_FILL
    if quantity < min_fill:
        return r.QUANTITY_BELOW_MIN_FILL
    price = cmd.price
    if order_type == MARKET:
        if price is not None:
            return r.INVALID_PRICE
    else:
        if type(price) is not int or price <= 0:
            return r.INVALID_PRICE
        if price % rules.tick:
            return r.PRICE_NOT_ON_TICK
        if band is not None and not band[0] <= price <= band[1]:
            return r.PRICE_OUTSIDE_BAND
    if tif == GTD and (type(cmd.expire_at) is not int or cmd.expire_at <= cmd.ts):
        return r.INVALID_EXPIRY
    stp = cmd.stp
    if stp is not None and (type(stp) is not str or stp not in STP_MODES):
        return r.INVALID_STP_MODE
    if phase != CONTINUOUS and (order_type == MARKET or tif in IMMEDIATE):
        return r.ORDER_TYPE_NOT_ALLOWED_IN_PHASE
    return None
