"""The order desk's decisions, pure: whether a new order, an amend or a retry may go ahead (holding limit, the link
a cross-registry order crosses, the quota an amend adds), what it reserves, what is stored and which refusal
(stable code) the caller gets. No I/O: the desk (``order_desk``, the adapter) reads, calls these, then writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from services.order_entry import pretrade
from services.order_entry.errors import ApiError
from services.order_entry.schemas import AmendRequest, OrderRequest, OrderView
from shared import market_keys as mk
from shared.bands import narrow
from shared.bridge_reasons import ReasonCode
from shared import redis_keys
from shared.ledger import AdjustRecord, CounterChange, Entry, EntryKind, Posting, PostResult
from shared.ledger.entries import quota as quota_entries
from shared.ledger.entries.quota import QuotaReservation
from shared.ledger.model import RecordOp
from shared.messages.vocabulary import OrderType, Phase, Side
from shared.money import AmountError, from_minor, to_minor
from shared.quota import QuotaTerms, reserved_units
from shared.reference import Instrument, LinkageTerms

#: The bridge's codes of the caps a cross-border order's quota reservation is refused by (``shared.quota``).
QUOTA_CODES = frozenset({ReasonCode.PERIOD_CAP_EXCEEDED, ReasonCode.ACCOUNT_CAP_EXCEEDED,
                         ReasonCode.OBLIGATION_SHARE_EXCEEDED})

#: The largest amount the ledger holds exactly (its Lua script works in doubles).
MAX_LEDGER_AMOUNT = 2**53 - 1


@dataclass(frozen=True, slots=True)
class Market:
    """An instrument with its live phase and reference price (matching's mirror, else the operator's values), and
    the band override in force for the session (matching's mirror)."""

    instrument: Instrument
    phase: Phase
    reference: int | None
    clip: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A new order that passed every check: its terms (price in minor units) and what it reserves."""

    terms: pretrade.Terms
    reservation: pretrade.Reservation


@dataclass(frozen=True, slots=True)
class Amend:
    """An amend that passed every check: the price to send (None: unchanged) and how much more to reserve."""

    price: int | None
    increase: int
    asset: str


def view(order: dict[str, str]) -> OrderView:
    currency = order.get("currency", "")
    price = order.get("price", "")
    return OrderView(
        order_id=order["order_id"], client_order_id=order.get("client_order_id", ""), account=order["account"],
        instrument=order["instrument"], side=order["side"], type=order["type"], time_in_force=order["tif"],
        price=from_minor(int(price), currency) if price not in ("", "None") and currency else None,
        quantity=int(order.get("quantity") or 0), leaves=int(order.get("leaves") or 0),
        filled=int(order.get("filled") or 0), status=order.get("status", mk.PENDING_NEW),
        reason=order.get("reason", ""), created_at=int(order.get("created_at") or 0),
        expire_at=int(order["expire_at"]) if order.get("expire_at") else None,
        min_fill=int(order.get("min_fill") or 1),
    )


def refusal(refused: pretrade.Refusal) -> ApiError:
    return ApiError(refused.status, refused.code, refused.message, refused.details)


def ledger_refusal(result: PostResult, *, side: Side | None) -> ApiError:
    if result.code and result.code.isdigit() and int(result.code) in QUOTA_CODES:
        code = ReasonCode(int(result.code))
        details = {"reason_code": int(code), **{k: str(v) for k, v in result.details.items() if k != "counter"}}
        return ApiError(409, code.name, f"{code.message} The link cannot carry this order now: quota is reserved "
                        "when a cross-border order is accepted.", details)
    if result.code in ("INSUFFICIENT_AVAILABLE", "UNKNOWN_ASSET"):
        code = "INSUFFICIENT_FUNDS" if side is Side.BUY else "INSUFFICIENT_UNITS"
        return ApiError(409, code, "the account does not hold enough to reserve for this order",
                        {"ledger_code": result.code, **{k: str(v) for k, v in result.details.items()}})
    if result.code == "UNKNOWN_ACCOUNT":
        return ApiError(404, "ACCOUNT_NOT_FOUND", "the account is not open in the ledger")
    if result.code == "INVALID_AMOUNT":
        return value_out_of_range()
    return ApiError(409, "RESERVATION_REFUSED", result.message or "the ledger refused the reservation",
                    {"ledger_code": result.code})


def value_out_of_range() -> ApiError:
    return ApiError(422, "ORDER_VALUE_OUT_OF_RANGE", "the order's value is out of the range the ledger can reserve",
                    {"max_amount": MAX_LEDGER_AMOUNT})


def price_in_minor(price: str | None, currency: str) -> int | None:
    try:
        return None if price is None else to_minor(price, currency)
    except AmountError as err:
        raise ApiError(422, "INVALID_PRICE", str(err), {"currency": currency}) from None


def new_order(req: OrderRequest, market: Market, *, now: int) -> NewOrder:
    """Every check of a new order that needs no account state; raises the refusal."""
    instrument = market.instrument
    terms = pretrade.Terms(side=req.side, order_type=req.type, time_in_force=req.time_in_force,
                           price=price_in_minor(req.price, instrument.currency), quantity=req.quantity,
                           expire_at=req.expire_at)
    try:
        pretrade.check_order(terms, instrument, phase=market.phase, reference=market.reference, clip=market.clip,
                             now=now)
        reservation = pretrade.reservation_for(terms, instrument, reference=market.reference, clip=market.clip)
    except pretrade.Refusal as refused:
        raise refusal(refused) from None
    if reservation.amount > MAX_LEDGER_AMOUNT:
        raise value_out_of_range()
    return NewOrder(terms, reservation)


def min_fill(link: LinkageTerms | None, instrument: Instrument, *, side: Side, account: str, quantity: int) -> int:
    """The smallest fill of an order across ``link`` (1 for a domestic order, ``link`` None): the link's
    ``min_fill_for`` its direction, rounded up to the instrument's lot. Refuses a quantity below it, which no fill
    could deliver across the link (the bridge would refuse it: ZERO_DELIVERED_AFTER_CONVERSION)."""
    if link is None:
        return 1
    source, target = direction(account, instrument, side)
    least = link.min_fill_for(source, target)
    least = -(-least // instrument.lot) * instrument.lot
    if quantity < least:
        raise ApiError(422, "QUANTITY_BELOW_MIN_FILL",
                       f"an order across {link.id} from {source} to {target} is at least {least} t: a smaller fill "
                       "delivers nothing after conversion and levies", {"min_fill": least, "link": link.id})
    return least


def order_record(req: OrderRequest, instrument: Instrument, terms: pretrade.Terms, *, now: int,
                 min_fill: int = 1) -> dict[str, object]:
    """The fields of ``ord:{order_id}`` a new order starts with."""
    return {
        "status": mk.PENDING_NEW, "leaves": req.quantity, "filled": 0, "reason": "", "account": req.account,
        "instrument": req.instrument, "currency": instrument.currency, "side": req.side, "type": req.type,
        "tif": req.time_in_force, "price": "" if terms.price is None else terms.price, "quantity": req.quantity,
        "client_order_id": req.client_order_id, "created_at": now,
        "expire_at": "" if req.expire_at is None else req.expire_at, "min_fill": min_fill,
    }


def same_terms(order: dict[str, str], req: OrderRequest) -> bool:
    """Whether a retry asks for exactly the order stored under its client order id."""
    try:
        price = None if req.price is None else to_minor(req.price, order.get("currency", ""))
    except (AmountError, KeyError, ValueError):
        return False
    return (order.get("instrument"), order.get("side"), order.get("type"), order.get("tif"), order.get("price"),
            order.get("quantity"), order.get("expire_at") or "") == (
        req.instrument, str(req.side), str(req.type), str(req.time_in_force), "" if price is None else str(price),
        str(req.quantity), "" if req.expire_at is None else str(req.expire_at))


def client_order_id_reused(order_id: str) -> ApiError:
    return ApiError(409, "CLIENT_ORDER_ID_REUSED", "this client order id was used for an order with other terms",
                    {"order_id": order_id})


def direction(account: str, instrument: Instrument, side: Side) -> tuple[str, str]:
    """The registries an order's units would move from and to: the seller's to the buyer's."""
    registry = account.partition("/")[0]
    return (instrument.registry, registry) if side is Side.BUY else (registry, instrument.registry)


def check_holding_limit(quantity: int, *, held: int, limit: int) -> None:
    """A buy may not take the account's holding (available and reserved) over the registry's limit."""
    if held + quantity > limit:
        raise ApiError(409, "HOLDING_LIMIT_EXCEEDED", "the buy would take the account over its holding limit",
                       {"limit": limit, "held": held})


def crossing_link(account: str, instrument: Instrument, side: Side, links: Iterable[LinkageTerms], *,
                  now: int) -> LinkageTerms:
    """The link a cross-registry order of ``account`` on ``instrument`` would cross: the first that admits the
    move (units go to the buyer's registry). Raises CROSS_REGISTRY_NOT_ELIGIBLE with each link's reason."""
    source, target = direction(account, instrument, side)
    reasons = {}
    for link in links:
        reason = link.admits(from_registry=source, to_registry=target, unit=instrument.unit, at=now)
        if reason is None:
            return link
        if reason != "NO_LINK":
            reasons[link.id] = reason
    raise ApiError(422, "CROSS_REGISTRY_NOT_ELIGIBLE",
                   f"no active linkage lets {instrument.unit_asset} move from {source} to {target}",
                   {"from_registry": source, "to_registry": target, "links": reasons})


def not_open(order_id: str, status: str) -> ApiError:
    return ApiError(409, "ORDER_NOT_OPEN", f"order {order_id} is {status}", {"order_id": order_id, "status": status})


def amend(order: dict[str, str], req: AmendRequest, market: Market) -> Amend:
    """Checks of an amend against the order's known state; what it must reserve first. Raises the refusal."""
    if req.price is None and req.quantity is None:
        raise ApiError(422, "NOTHING_TO_AMEND", "give a new price, a new quantity, or both")
    instrument = market.instrument
    side = Side(order["side"])
    old_price = int(order["price"]) if order.get("price") else None
    new_price = old_price if req.price is None else price_in_minor(req.price, instrument.currency)
    if req.price is not None and order["type"] == OrderType.MARKET:
        raise ApiError(422, "PRICE_NOT_ALLOWED", "a market order has no price")
    old_leaves = int(order.get("leaves") or 0)
    new_leaves = old_leaves if req.quantity is None else req.quantity
    least = int(order.get("min_fill") or 1)
    if new_leaves < least:
        raise ApiError(422, "QUANTITY_BELOW_MIN_FILL", f"the order's open quantity may not go below its minimum fill "
                       f"of {least} t", {"min_fill": least})
    try:
        pretrade.check_phase(market.phase, instrument.id)
        pretrade.check_quantity(new_leaves, instrument, check_min=False)
        if new_price is not None:
            pretrade.check_price(new_price, instrument, narrow(instrument.band_limits(market.reference), market.clip))
    except pretrade.Refusal as refused:
        raise refusal(refused) from None
    increase = pretrade.amend_increase(
        side=side, fees=instrument.fee_schedule, old_price=old_price, new_price=new_price,
        filled=int(order.get("filled") or 0), old_leaves=old_leaves, new_leaves=new_leaves)
    if increase > MAX_LEDGER_AMOUNT:
        raise value_out_of_range()
    asset = instrument.currency_asset if side is Side.BUY else instrument.unit_asset
    return Amend(price=None if req.price is None else new_price, increase=increase, asset=asset)


def quota_increase(record: dict[str, str], quota: QuotaReservation, *, order_id: str, old_leaves: int,
                   new_leaves: int) -> int:
    """How much more quota a cross-border buy amended from ``old_leaves`` to ``new_leaves`` open tonnes takes, on
    the counters its reservation ``record`` holds; refused when the link's terms or period changed since."""
    if quota.key != record["counter_key"] or "\n".join(c.reserved for c in quota.counters) != record.get(
            "counter_fields"):
        raise ApiError(409, "QUOTA_TERMS_CHANGED", "the link's quota terms or period changed since the order "
                       "was accepted: cancel it and enter a new order", {"order_id": order_id})
    terms = QuotaTerms(Fraction(record["quota_factor"]))
    return reserved_units(new_leaves, terms) - reserved_units(old_leaves, terms)


def reservation_increase(order_id: str, account: str, asset: str, delta: int, *, now: int, entry_id: str,
                         quota: tuple[QuotaReservation, int] | None = None) -> Entry:
    """The ledger entry ``entry_id`` reserving `delta` more for an amended order (added to its reservation record),
    and the quota its added tonnes take (added to the record's ``counter_held``)."""
    key = redis_keys.reservation_key(order_id)
    expect = {"account": account, "asset": asset}
    a, r = redis_keys.AVAILABLE, redis_keys.RESERVED
    postings: tuple[Posting, ...] = ()
    records: tuple[RecordOp, ...] = ()
    if delta:
        postings = (Posting(account, asset, a, -delta), Posting(account, asset, r, delta))
        records = (AdjustRecord(key, "remaining", delta, expect=expect),
                   AdjustRecord(key, "reserved", delta, expect=expect))
    counters: tuple[CounterChange, ...] = ()
    if quota is not None:
        reservation, more = quota
        records += (AdjustRecord(key, quota_entries.HELD, more, expect=expect),)
        counters = quota_entries.reserve(reservation, more)
    return Entry(
        entry_id=entry_id, kind=EntryKind.RESERVE, time=now, postings=postings,
        records=records, counters=counters, meta={"order_id": order_id, "amend": True},
    )
