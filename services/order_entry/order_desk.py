"""The order desk: new orders, amends, cancels and queries — access, pre-trade checks, reservation, publish.

A new order is claimed under its client order id (one Lua call: id, ``coid`` SET NX, ``ord`` hash, index),
checked, reserved in the ledger, then published keyed by instrument. A failed reservation or publish leaves
the order REJECTED with nothing reserved and frees the client order id for a retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from services.order_entry import pretrade, purchase_limits
from services.order_entry.deps import Ports, account_access
from services.order_entry.errors import ApiError
from services.order_entry.principals import Principal, Role, grants_key
from services.order_entry.schemas import AmendRequest, MassCancelRequest, OrderPage, OrderRequest, OrderView
from shared import market_keys as mk
from shared import redis_keys, reference_store
from shared.kafka import publish
from shared.ledger import AdjustRecord, Entry, EntryKind, Posting, PostResult
from shared.messages import AmendOrder, CancelOrder, MassCancel, Message, OrderType, Phase, Side, SubmitOrder
from shared.money import AmountError, from_minor, to_minor
from shared.reference import Instrument
from shared.business_clock import CLOCK_KEY, business_now, business_time
from shared.topics import ORDERS_COMMANDS

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_S = 5.0
_INSTRUMENT_CACHE_SIZE = 1024

# KEYS: coid, sequence, index. ARGV: instrument, created_at, then field/value pairs of the order hash.
# Returns {1, order_id} for a new claim, {0, order_id} when the client order id was already taken.
_CLAIM_LUA = """
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
local order_id = 'O-' .. ARGV[1] .. '-' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], order_id)
redis.call('HSET', 'ord:' .. order_id, 'order_id', order_id, unpack(ARGV, 3))
redis.call('ZADD', KEYS[3], ARGV[2], order_id)
return {1, order_id}
"""


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True, slots=True)
class Market:
    """An instrument with its live phase and reference price (matching's mirror, else the operator's values)."""

    instrument: Instrument
    phase: Phase
    reference: int | None


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
    )


def _refusal(refusal: pretrade.Refusal) -> ApiError:
    return ApiError(refusal.status, refusal.code, refusal.message, refusal.details)


def _ledger_refusal(result: PostResult, *, side: Side | None) -> ApiError:
    if result.code in ("INSUFFICIENT_AVAILABLE", "UNKNOWN_ASSET"):
        code = "INSUFFICIENT_FUNDS" if side is Side.BUY else "INSUFFICIENT_UNITS"
        return ApiError(409, code, "the account does not hold enough to reserve for this order",
                        {"ledger_code": result.code, **{k: str(v) for k, v in result.details.items()}})
    if result.code == "UNKNOWN_ACCOUNT":
        return ApiError(404, "ACCOUNT_NOT_FOUND", "the account is not open in the ledger")
    return ApiError(409, "RESERVATION_REFUSED", result.message or "the ledger refused the reservation",
                    {"ledger_code": result.code})


class OrderDesk:
    def __init__(self, ports: Ports) -> None:
        self._ports = ports
        self._redis = ports.ctx.redis
        self._claim = self._redis.register_script(_CLAIM_LUA)
        self._instruments: dict[bytes, Instrument] = {}

    def _instrument(self, raw: bytes) -> Instrument:
        """The instrument stored as `raw`, parsed once per distinct record (a changed record has other bytes)."""
        instrument = self._instruments.get(raw)
        if instrument is None:
            if len(self._instruments) >= _INSTRUMENT_CACHE_SIZE:
                self._instruments.clear()
            instrument = self._instruments[raw] = Instrument.model_validate_json(raw)
        return instrument

    # --- reads ---------------------------------------------------------------------------------------------

    async def market(self, instrument_id: str) -> Market:
        instrument = await self._ports.reference.instrument(instrument_id)
        if instrument is None:
            raise ApiError(404, "INSTRUMENT_NOT_FOUND", f"no instrument {instrument_id!r}", {"instrument": instrument_id})
        phase, reference = await self._redis.mget(mk.phase(instrument_id), mk.reference_price(instrument_id))
        return Market(
            instrument=instrument,
            phase=Phase(_text(phase)) if phase else instrument.phase,
            reference=int(reference) if reference else instrument.reference_price,
        )

    async def order(self, principal: Principal, order_id: str) -> dict[str, str]:
        """The order's state; 404 both when it does not exist and when a trader may not see it."""
        raw = await self._redis.hgetall(mk.order_state(order_id)) if len(order_id) <= 200 else {}
        order = {_text(k): _text(v) for k, v in raw.items()}
        if "account" not in order or (principal.role is Role.TRADER and not await self._ports.principals.is_granted(
                principal.name, order["account"])):
            raise ApiError(404, "ORDER_NOT_FOUND", f"no order {order_id!r}", {"order_id": order_id})
        order.setdefault("order_id", order_id)
        return order

    async def list(self, principal: Principal, *, account: str, status: str | None, instrument: str | None,
                   limit: int, cursor: int) -> OrderPage:
        await account_access(self._ports, principal, account)
        found: list[OrderView] = []
        position = cursor
        while len(found) < limit:
            ids = await self._redis.zrevrange(mk.order_index(account), position, position + 199)
            if not ids:
                return OrderPage(orders=found, next_cursor=None)
            pipe = self._redis.pipeline(transaction=False)
            for order_id in ids:
                pipe.hgetall(mk.order_state(_text(order_id)))
            for raw in await pipe.execute():
                position += 1
                order = {_text(k): _text(v) for k, v in raw.items()}
                if "account" not in order:
                    continue
                if (status is None or order.get("status") == status) and (
                        instrument is None or order.get("instrument") == instrument):
                    found.append(view(order))
                    if len(found) == limit:
                        break
        more = await self._redis.zcard(mk.order_index(account)) > position
        return OrderPage(orders=found, next_cursor=str(position) if more else None)

    # --- new orders ----------------------------------------------------------------------------------------

    async def submit(self, principal: Principal, req: OrderRequest) -> tuple[OrderView, bool]:
        """The order, and whether it is new (False: a retry of an earlier request with the same client id)."""
        # One round trip for everything the checks read: grant, earlier claim, instrument, live market, limits.
        pipe = self._redis.pipeline(transaction=False)
        pipe.sismember(grants_key(principal.name), req.account)
        pipe.get(mk.client_order(req.account, req.client_order_id))
        pipe.hget(reference_store.INSTRUMENTS, req.instrument)
        pipe.mget(mk.phase(req.instrument), mk.reference_price(req.instrument))
        pipe.hgetall(redis_keys.holding_limits_key(req.account))
        pipe.get(CLOCK_KEY)
        granted, existing, raw_instrument, (phase, reference), limits, clock = await pipe.execute()
        if principal.role is Role.TRADER and not granted:
            raise ApiError(403, "ACCOUNT_FORBIDDEN", "this key may not use that account", {"account": req.account})
        if existing is not None:
            return await self._replay(principal, _text(existing), req), False
        if raw_instrument is None:
            raise ApiError(404, "INSTRUMENT_NOT_FOUND", f"no instrument {req.instrument!r}", {"instrument": req.instrument})
        instrument = self._instrument(raw_instrument)
        market = Market(instrument=instrument, phase=Phase(_text(phase)) if phase else instrument.phase,
                        reference=int(reference) if reference else instrument.reference_price)
        try:
            price = None if req.price is None else to_minor(req.price, instrument.currency)
        except AmountError as err:
            raise ApiError(422, "INVALID_PRICE", str(err), {"currency": instrument.currency}) from None
        terms = pretrade.Terms(side=req.side, order_type=req.type, time_in_force=req.time_in_force, price=price,
                               quantity=req.quantity, expire_at=req.expire_at)
        now = business_time(clock)
        try:
            pretrade.check_order(terms, instrument, phase=market.phase, reference=market.reference, now=now)
            reservation = pretrade.reservation_for(terms, instrument, reference=market.reference)
        except pretrade.Refusal as refusal:
            raise _refusal(refusal) from None
        limit = {_text(k): int(v) for k, v in limits.items()}.get(instrument.unit_asset)
        await self._check_account(req.account, instrument, terms, now, holding_limit=limit)
        await purchase_limits.enforce(self._redis, account=req.account, side=req.side, quantity=req.quantity, now=now)

        fields = {
            "status": mk.PENDING_NEW, "leaves": req.quantity, "filled": 0, "reason": "", "account": req.account,
            "instrument": req.instrument, "currency": instrument.currency, "side": req.side, "type": req.type,
            "tif": req.time_in_force, "price": "" if price is None else price, "quantity": req.quantity,
            "client_order_id": req.client_order_id, "created_at": now,
            "expire_at": "" if req.expire_at is None else req.expire_at,
        }
        flat = [str(x) for pair in fields.items() for x in pair]
        new, order_id = await self._claim(
            keys=[mk.client_order(req.account, req.client_order_id), mk.order_sequence(req.instrument),
                  mk.order_index(req.account)],
            args=[req.instrument, now, *flat])
        order_id = _text(order_id)
        if not new:
            return await self._replay(principal, order_id, req), False

        try:
            result = await self._ports.ledger.reserve_for_order(
                order_id=order_id, account=req.account, asset=reservation.asset, amount=reservation.amount,
                time=now, limit_price=reservation.limit_price,
                quantity=req.quantity if req.side is Side.BUY else None)
        except BaseException:
            await self._reject(order_id, req, "RESERVATION_FAILED")
            raise
        if not result.ok:
            await self._reject(order_id, req, result.code or "RESERVATION_REFUSED")
            raise _ledger_refusal(result, side=req.side)

        command = SubmitOrder(order_id=order_id, client_order_id=req.client_order_id, instrument=req.instrument,
                              account=req.account, side=req.side, order_type=req.type,
                              time_in_force=req.time_in_force, price=price, quantity=req.quantity,
                              expire_at=req.expire_at)
        try:
            await self._publish(req.instrument, command, event_id=f"submit:{order_id}", now=now, correlation=order_id)
        except BaseException:
            await self._ports.ledger.release_order(order_id=order_id, time=now)
            await self._reject(order_id, req, "PUBLISH_FAILED")
            raise
        fields["order_id"] = order_id
        return view({k: str(v) for k, v in fields.items()}), True

    async def _replay(self, principal: Principal, order_id: str, req: OrderRequest) -> OrderView:
        for _ in range(50):  # the first request may still be between its claim and its hash write
            raw = await self._redis.hgetall(mk.order_state(order_id))
            if raw:
                break
            await asyncio.sleep(0.01)
        order = await self.order(principal, order_id)
        same = (order["instrument"], order["side"], order["quantity"]) == (req.instrument, req.side, str(req.quantity))
        if not same:
            raise ApiError(409, "CLIENT_ORDER_ID_REUSED",
                           "this client order id was used for a different order", {"order_id": order_id})
        return view(order)

    async def _reject(self, order_id: str, req: OrderRequest, reason: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(mk.order_state(order_id), mapping={"status": mk.REJECTED, "reason": reason, "leaves": 0})
        pipe.delete(mk.client_order(req.account, req.client_order_id))
        await pipe.execute()

    async def _check_account(self, account: str, instrument: Instrument, terms: pretrade.Terms, now: int, *,
                             holding_limit: int | None) -> None:
        """Advisory checks the ledger and the bridge decide for good later: holding limit, cross-registry link."""
        registry = account.partition("/")[0]
        if terms.side is Side.BUY and holding_limit is not None:
            held = (await self._ports.ledger.balances(account)).get(instrument.unit_asset, (0, 0))
            if sum(held) + terms.quantity > holding_limit:
                raise ApiError(409, "HOLDING_LIMIT_EXCEEDED", "the buy would take the account over its holding limit",
                               {"limit": holding_limit, "held": sum(held)})
        if registry == instrument.registry:
            return
        source, target = (instrument.registry, registry) if terms.side is Side.BUY else (registry, instrument.registry)
        reasons = {}
        for link in await self._ports.reference.links():
            reason = link.admits(from_registry=source, to_registry=target, unit=instrument.unit, at=now)
            if reason is None:
                return
            if reason != "NO_LINK":
                reasons[link.id] = reason
        raise ApiError(422, "CROSS_REGISTRY_NOT_ELIGIBLE",
                       f"no active linkage lets {instrument.unit_asset} move from {source} to {target}",
                       {"from_registry": source, "to_registry": target, "links": reasons})

    # --- cancels and amends ----------------------------------------------------------------------------------

    async def cancel(self, principal: Principal, order_id: str) -> OrderView:
        order = await self._open_order(principal, order_id)
        now = await business_now(self._redis)
        await self._publish(order["instrument"], CancelOrder(order_id=order_id, instrument=order["instrument"]),
                            event_id=f"cancel:{order_id}:{time.time_ns()}", now=now, correlation=order_id)
        return view(order)

    async def amend(self, principal: Principal, order_id: str, req: AmendRequest) -> OrderView:
        if req.price is None and req.quantity is None:
            raise ApiError(422, "NOTHING_TO_AMEND", "give a new price, a new quantity, or both")
        order = await self._open_order(principal, order_id)
        market = await self.market(order["instrument"])
        instrument = market.instrument
        side = Side(order["side"])
        old_price = int(order["price"]) if order.get("price") else None
        try:
            new_price = old_price if req.price is None else to_minor(req.price, instrument.currency)
        except AmountError as err:
            raise ApiError(422, "INVALID_PRICE", str(err), {"currency": instrument.currency}) from None
        if req.price is not None and order["type"] == OrderType.MARKET:
            raise ApiError(422, "PRICE_NOT_ALLOWED", "a market order has no price")
        old_leaves = int(order.get("leaves") or 0)
        new_leaves = old_leaves if req.quantity is None else req.quantity
        try:
            pretrade.check_phase(market.phase, instrument.id)
            pretrade.check_quantity(new_leaves, instrument, check_min=False)
            if new_price is not None:
                pretrade.check_price(new_price, instrument, instrument.band_limits(market.reference))
        except pretrade.Refusal as refusal:
            raise _refusal(refusal) from None
        increase = pretrade.amend_increase(
            side=side, fees=instrument.fee_schedule, old_price=old_price, new_price=new_price,
            filled=int(order.get("filled") or 0), old_leaves=old_leaves, new_leaves=new_leaves)
        now = await business_now(self._redis)
        asset = instrument.currency_asset if side is Side.BUY else instrument.unit_asset
        if increase:
            result = await self._adjust_reservation(order_id, order["account"], asset, increase, now)
            if not result.ok:
                if result.code == "RESERVATION_MISMATCH":
                    raise ApiError(409, "ORDER_NOT_OPEN", "the order is no longer open", {"order_id": order_id})
                raise _ledger_refusal(result, side=side)
        command = AmendOrder(order_id=order_id, instrument=instrument.id,
                             price=None if req.price is None else new_price, quantity=req.quantity)
        try:
            await self._publish(instrument.id, command, event_id=f"amend:{order_id}:{time.time_ns()}", now=now,
                                correlation=order_id)
        except BaseException:
            if increase:
                await self._adjust_reservation(order_id, order["account"], asset, -increase, now)
            raise
        return view(order)

    async def _adjust_reservation(self, order_id: str, account: str, asset: str, delta: int, now: int) -> PostResult:
        key = redis_keys.reservation_key(order_id)
        expect = {"account": account, "asset": asset}
        a, r = redis_keys.AVAILABLE, redis_keys.RESERVED
        entry = Entry(
            entry_id=f"amend:{order_id}:{time.time_ns()}", kind=EntryKind.RESERVE if delta > 0 else EntryKind.RELEASE,
            time=now, postings=(Posting(account, asset, a, -delta), Posting(account, asset, r, delta)),
            records=(AdjustRecord(key, "remaining", delta, expect=expect), AdjustRecord(key, "reserved", delta, expect=expect)),
            meta={"order_id": order_id, "amend": True},
        )
        return await self._ports.ledger.post(entry)

    async def _open_order(self, principal: Principal, order_id: str) -> dict[str, str]:
        if principal.role is Role.AUDITOR:
            raise ApiError(403, "FORBIDDEN", "auditors are read-only")
        order = await self.order(principal, order_id)
        if order.get("status") not in mk.OPEN_STATUSES:
            raise ApiError(409, "ORDER_NOT_OPEN", f"order {order_id} is {order.get('status')}",
                           {"order_id": order_id, "status": order.get("status")})
        return order

    async def mass_cancel(self, principal: Principal, req: MassCancelRequest) -> dict[str, str | None]:
        if principal.role is Role.TRADER:
            if req.account is None:
                raise ApiError(422, "ACCOUNT_REQUIRED", "traders mass-cancel one of their accounts")
            await account_access(self._ports, principal, req.account)
        if await self._ports.reference.instrument(req.instrument) is None:
            raise ApiError(404, "INSTRUMENT_NOT_FOUND", f"no instrument {req.instrument!r}", {"instrument": req.instrument})
        now = await business_now(self._redis)
        await self._publish(req.instrument, MassCancel(instrument=req.instrument, account=req.account,
                                                       registry=req.registry),
                            event_id=f"mass-cancel:{req.instrument}:{time.time_ns()}", now=now, correlation="")
        return {"instrument": req.instrument, "account": req.account, "registry": req.registry}

    async def _publish(self, instrument: str, command: Message, *, event_id: str, now: int, correlation: str) -> None:
        await asyncio.wait_for(
            publish(self._ports.ctx.producer, ORDERS_COMMANDS.name, instrument, command, event_id=event_id,
                    occurred_at=now, correlation_id=correlation, wait=True),
            timeout=PUBLISH_TIMEOUT_S)
