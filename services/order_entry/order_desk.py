"""The order desk: new orders, amends, cancels and queries — reads, decisions (``order_decisions``), one atomic write.

A new order costs one round trip of reads (grant, earlier claim, instrument, live market, holding limits, a fresh
order id, and for a buy its purchase limit and purchases; on the hot route, ``place``, with the API key's check
and rate limit in the same call) and one call of ``accept.lua`` (``redis_order_store``) that claims the client
order id, writes the order's record, reserves in the ledger and appends the ``SubmitOrder`` to the outbox,
together or not at all. The answer goes back as soon as that is committed: the outbox relay publishes the
command (keyed by instrument) and re-publishes it until matching has applied it. Amends and cancels take the
same path, so matching sees them after the order they name.
"""

from __future__ import annotations

import time

from services.order_entry import order_decisions as decide
from services.order_entry import pretrade
from services.order_entry import purchase_limits
from services.order_entry.deps import TRADING_ROLES, Ports, account_access, checked, refuse_oversized, require
from services.order_entry.errors import ApiError
from services.order_entry.order_decisions import Market, view
from services.order_entry.principals import Principal, Role, grants_key
from services.order_entry.redis_order_store import (
    EXISTS, FORBIDDEN, NOT_OPEN, REFUSED, Command, RedisOrderStore, SubmitReads,
)
from services.order_entry.schemas import AmendRequest, MassCancelRequest, OrderPage, OrderRequest, OrderView
from shared import market_keys as mk
from shared import order_outbox, redis_keys
from shared.ledger.entries import reserve_for_order
from shared.ledger.entries.quota import QuotaReservation, holds_quota, quota_reservation
from shared.ledger.views import text_map
from shared.messages.order_commands import AmendOrder, CancelOrder, MassCancel, SubmitOrder
from shared.messages.vocabulary import Phase, Side
from shared.redis_text import text
from shared.periods import calendar_year
from shared.reference import Instrument, LinkageTerms
from shared.business_clock import business_now
from shared.oversight_keys import purchase_period

__all__ = ["OrderDesk"]

_INSTRUMENT_CACHE_SIZE = 1024


class OrderDesk:
    def __init__(self, ports: Ports) -> None:
        self._ports = ports
        self._redis = ports.ctx.redis
        self._store = RedisOrderStore(self._redis)
        self._instruments: dict[bytes, Instrument] = {}
        self._purchase_period: int | None = None  # of the last order's business time: where a buy's purchases are read ahead

    def _instrument(self, raw: bytes) -> Instrument:
        """The instrument stored as `raw`, parsed once per distinct record (a changed record has other bytes)."""
        instrument = self._instruments.get(raw)
        if instrument is None:
            if len(self._instruments) >= _INSTRUMENT_CACHE_SIZE:
                self._instruments.clear()
            instrument = self._instruments[raw] = Instrument.model_validate_json(raw)
        return instrument

    async def close(self) -> None:
        """Close the store's own connection (the app's lifespan ends)."""
        await self._store.close()

    # --- reads ---------------------------------------------------------------------------------------------

    async def market(self, instrument_id: str) -> Market:
        instrument = await self._ports.reference.instrument(instrument_id)
        if instrument is None:
            raise ApiError(404, "INSTRUMENT_NOT_FOUND", f"no instrument {instrument_id!r}", {"instrument": instrument_id})
        live = await self._ports.market.market_state(instrument_id)
        return Market(instrument=instrument, phase=Phase(live.phase) if live.phase else instrument.phase,
                      reference=live.reference if live.reference is not None else instrument.reference_price,
                      clip=live.clip)

    async def order(self, principal: Principal, order_id: str) -> dict[str, str]:
        """The order's state; 404 both when it does not exist and when a trader may not see it."""
        order = await self._store.order(order_id) if len(order_id) <= 200 else {}
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
                pipe.hgetall(mk.order_state(text(order_id)))
            for raw in await pipe.execute():
                position += 1
                order = {text(k): text(v) for k, v in raw.items()}
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
        reads = await self._store.submit_reads(
            principal=principal.name, account=req.account, client_order_id=req.client_order_id,
            instrument=req.instrument, grants_key=grants_key(principal.name),
            purchase_period=self._purchase_period if req.side is Side.BUY else None)
        return await self._submit(principal, req, reads)

    async def place(self, api_key: str | None, req: OrderRequest) -> tuple[OrderView, bool]:
        """``submit`` for the caller presenting ``api_key``, checked as the route's dependencies check it (401,
        429, 403 for a role that may not trade) in the same round trip as the order's reads."""
        if not api_key:
            require(None)
        refuse_oversized(api_key)
        check, reads = await self._store.keyed_submit_reads(
            api_key=api_key, account=req.account, client_order_id=req.client_order_id, instrument=req.instrument,
            purchase_period=self._purchase_period if req.side is Side.BUY else None)
        principal = require(checked(check), *TRADING_ROLES)
        assert reads is not None, "a trader's or an operator's allowed key is answered with the reads"
        return await self._submit(principal, req, reads)

    async def _submit(self, principal: Principal, req: OrderRequest, reads: SubmitReads) -> tuple[OrderView, bool]:
        trader = principal.role is Role.TRADER
        self._purchase_period = purchase_period(reads.now)
        if trader and not reads.granted:
            raise ApiError(403, "ACCOUNT_FORBIDDEN", "this key may not use that account", {"account": req.account})
        if reads.existing is not None:
            return await self._replay(principal, reads.existing, req), False
        if reads.raw_instrument is None:
            raise ApiError(404, "INSTRUMENT_NOT_FOUND", f"no instrument {req.instrument!r}", {"instrument": req.instrument})
        instrument = self._instrument(reads.raw_instrument)
        market = Market(instrument=instrument, phase=Phase(reads.phase) if reads.phase else instrument.phase,
                        reference=reads.reference if reads.reference is not None else instrument.reference_price,
                        clip=reads.clip)
        now = reads.now
        accepted = decide.new_order(req, market, now=now)
        link = await self._check_account(req.account, instrument, accepted.terms, now,
                                         holding_limit=reads.holding_limits.get(instrument.unit_asset))
        await purchase_limits.enforce(self._redis, account=req.account, side=req.side, quantity=req.quantity, now=now,
                                      read_ahead=reads.purchases)
        min_fill = decide.min_fill(link, instrument, side=req.side, account=req.account, quantity=req.quantity)
        order_id, terms, reservation = reads.order_id, accepted.terms, accepted.reservation
        quota = None
        if link is not None and req.side is Side.BUY:
            quota = await self._quota(link, instrument, account=req.account, quantity=req.quantity, now=now)
        entry = reserve_for_order(order_id=order_id, account=req.account, asset=reservation.asset,
                                  amount=reservation.amount, time=now, limit_price=reservation.limit_price,
                                  quantity=req.quantity if req.side is Side.BUY else None, quota=quota)
        submit = SubmitOrder(order_id=order_id, client_order_id=req.client_order_id, instrument=req.instrument,
                             account=req.account, side=req.side, order_type=req.type,
                             time_in_force=req.time_in_force, price=terms.price, quantity=req.quantity,
                             expire_at=req.expire_at, min_fill=min_fill)
        record = decide.order_record(req, instrument, terms, now=now, min_fill=min_fill)
        outcome = await self._store.accept(
            Command(submit, order_outbox.SUBMIT, req.instrument, order_id, f"submit:{order_id}", now),
            entry=entry, claim=mk.client_order(req.account, req.client_order_id),
            grant=(grants_key(principal.name), req.account) if trader else None, order=record, created_at=now)
        if outcome.status == EXISTS:
            return await self._replay(principal, outcome.order_id, req), False
        if outcome.status == FORBIDDEN:
            raise ApiError(403, "ACCOUNT_FORBIDDEN", "this key may not use that account", {"account": req.account})
        if outcome.status == REFUSED:
            raise decide.ledger_refusal(outcome.refusal, side=req.side)
        return view({k: str(v) for k, v in record.items()} | {"order_id": order_id}), True

    async def _replay(self, principal: Principal, order_id: str, req: OrderRequest) -> OrderView:
        order = await self.order(principal, order_id)
        if not decide.same_terms(order, req):
            raise decide.client_order_id_reused(order_id)
        return view(order)

    async def _check_account(self, account: str, instrument: Instrument, terms, now: int, *,
                             holding_limit: int | None) -> LinkageTerms | None:
        """Advisory checks the ledger and the bridge decide for good later: holding limit, cross-registry link.
        The link a cross-registry order would cross (None: a domestic order)."""
        if terms.side is Side.BUY and holding_limit is not None:
            held = (await self._ports.ledger.balances(account)).get(instrument.unit_asset, (0, 0))
            decide.check_holding_limit(terms.quantity, held=sum(held), limit=holding_limit)
        if account.partition("/")[0] == instrument.registry:
            return None
        return decide.crossing_link(account, instrument, terms.side, await self._ports.reference.links(), now=now)

    async def _quota(self, link: LinkageTerms, instrument: Instrument, *, account: str, quantity: int,
                     now: int) -> QuotaReservation:
        """What a buy of ``quantity`` by ``account`` across ``link`` reserves of the link's caps this period."""
        source, target = instrument.registry, account.partition("/")[0]
        terms = link.quota_terms(source, target)
        period = calendar_year(now)
        obligation = 0
        if terms.obligation_share is not None:
            raw = await self._redis.hget(redis_keys.compliance_key(account), str(period))
            obligation = int(raw) if raw is not None else 0
        return quota_reservation(terms=terms, link_id=link.id, from_registry=source, to_registry=target,
                                 account=account, period=period, quantity=quantity, obligation=obligation)

    # --- cancels and amends ----------------------------------------------------------------------------------

    async def cancel(self, principal: Principal, order_id: str) -> OrderView:
        """Queue a CancelOrder behind whatever the outbox holds for the order (a PENDING_NEW order's submit)."""
        order = await self._open_order(principal, order_id)
        now = await business_now(self._redis)
        cancel = CancelOrder(order_id=order_id, instrument=order["instrument"])
        outcome = await self._store.accept(
            Command(cancel, order_outbox.CANCEL, order["instrument"], order_id, f"cancel:{order_id}:{time.time_ns()}",
                    now), open_order=True)
        if outcome.status == NOT_OPEN:
            raise decide.not_open(order_id, outcome.order_status)
        return view(order)

    async def amend(self, principal: Principal, order_id: str, req: AmendRequest) -> OrderView:
        if req.price is None and req.quantity is None:
            raise ApiError(422, "NOTHING_TO_AMEND", "give a new price, a new quantity, or both")
        order = await self._open_order(principal, order_id)
        market = await self.market(order["instrument"])
        plan = decide.amend(order, req, market)
        now = await business_now(self._redis)
        quota = await self._quota_increase(order, market.instrument, req, now)
        entry = None
        if plan.increase or quota:
            entry = decide.reservation_increase(order_id, order["account"], plan.asset, plan.increase, now=now,
                                                entry_id=f"amend:{order_id}:{time.time_ns()}", quota=quota)
        command = AmendOrder(order_id=order_id, instrument=market.instrument.id, price=plan.price, quantity=req.quantity)
        outcome = await self._store.accept(
            Command(command, order_outbox.AMEND, market.instrument.id, order_id, f"amend:{order_id}:{time.time_ns()}",
                    now), entry=entry, open_order=True)
        if outcome.status == NOT_OPEN:
            raise decide.not_open(order_id, outcome.order_status)
        if outcome.status == REFUSED:
            if outcome.refusal.code == "RESERVATION_MISMATCH":
                raise decide.not_open(order_id, order.get("status", ""))
            raise decide.ledger_refusal(outcome.refusal, side=Side(order["side"]))
        return view(order)

    async def _quota_increase(self, order: dict[str, str], instrument: Instrument, req: AmendRequest,
                              now: int) -> tuple[QuotaReservation, int] | None:
        """A cross-border buy amended to more open tonnes reserves the quota they add, on the counters its
        reservation holds; the rebase after the amend gives back what it then holds above its need."""
        old_leaves = int(order.get("leaves") or 0)
        if req.quantity is None or req.quantity <= old_leaves or order.get("side") != Side.BUY:
            return None
        record = text_map(await self._redis.hgetall(redis_keys.reservation_key(order["order_id"])))
        if not holds_quota(record):
            return None
        link = await self._check_account(order["account"], instrument,
                                         pretrade.Terms(side=Side.BUY, order_type=order["type"],
                                                        time_in_force=order["tif"], price=None,
                                                        quantity=req.quantity), now, holding_limit=None)
        assert link is not None, "a buy holding quota crosses a link"
        quota = await self._quota(link, instrument, account=order["account"], quantity=req.quantity, now=now)
        more = decide.quota_increase(record, quota, order_id=order["order_id"], old_leaves=old_leaves,
                                     new_leaves=req.quantity)
        return (quota, more) if more > 0 else None

    async def _open_order(self, principal: Principal, order_id: str) -> dict[str, str]:
        if principal.role is Role.AUDITOR:
            raise ApiError(403, "FORBIDDEN", "auditors are read-only")
        order = await self.order(principal, order_id)
        if order.get("status") not in mk.OPEN_STATUSES:
            raise decide.not_open(order_id, order.get("status", ""))
        return order

    async def mass_cancel(self, principal: Principal, req: MassCancelRequest) -> dict[str, str | None]:
        if principal.role is Role.TRADER:
            if req.account is None:
                raise ApiError(422, "ACCOUNT_REQUIRED", "traders mass-cancel one of their accounts")
            await account_access(self._ports, principal, req.account)
        if await self._ports.reference.instrument(req.instrument) is None:
            raise ApiError(404, "INSTRUMENT_NOT_FOUND", f"no instrument {req.instrument!r}", {"instrument": req.instrument})
        command = MassCancel(instrument=req.instrument, account=req.account, registry=req.registry)
        now = await business_now(self._redis)
        await self._store.accept(Command(command, order_outbox.MASS_CANCEL, req.instrument, "",
                                         f"mass-cancel:{req.instrument}:{time.time_ns()}", now))
        return {"instrument": req.instrument, "account": req.account, "registry": req.registry}

