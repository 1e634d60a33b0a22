"""The settlement service: trades, amends and order ends from `orders.events`, decisions from `bridge.results`.

Per partition batch: plan every ledger movement (domestic delivery versus payment, a cross-registry hold,
an order's release, an amended order's rebase, a refused delivery's release), run them in one ``run_many``
(each still its own atomic, idempotent entry; an amend cuts the batch, see ``_run_in_order``), move the
trades' states with their account records (at most once), publish the events and wait for the acks; the
``consume`` helper commits the offsets only then. A batch redelivered after a crash repeats nothing: the
entries and the state changes are idempotent and the events keep their ids.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import orjson
from aiokafka.errors import KafkaError

from services.settlement import translate
from services.settlement.instruments import InstrumentCache
from services.settlement.journal_mirror import run_journal_mirror
from services.settlement.outbox import Outgoing, send_all
from services.settlement.trade_state import (
    ALREADY,
    CONFLICT,
    CROSS_REGISTRY,
    DOMESTIC,
    FAILED,
    PENDING_BRIDGE,
    SETTLED,
    TradeStates,
    Transition,
)
from shared import market_keys, redis_keys
from shared.kafka import TRANSIENT_ERRORS, Delivery, consume, dead_letter, make_consumer
from shared.ledger import AsyncLedger, Plan, PostResult
from shared.ledger import entries as ledger_entries
from shared.ledger.views import text_map
from shared.messages import (
    DeliveryDecided,
    DeliveryRequested,
    Message,
    OrderAmended,
    OrderCancelled,
    OrderExpired,
    OrderRejected,
    Side,
    TradeExecuted,
    TradeFailed,
    TradeSettled,
)
from shared.reference import Instrument
from shared.reference_store import ReferenceStore
from shared.runtime import ServiceContext
from shared.topics import BRIDGE_REQUESTS, BRIDGE_RESULTS, ORDERS_EVENTS, SETTLEMENT_EVENTS

log = logging.getLogger(__name__)

ORDER_ENDS = (OrderCancelled, OrderExpired, OrderRejected)


@dataclass(frozen=True, slots=True)
class _TradeWork:
    delivery: Delivery
    trade: TradeExecuted
    instrument: Instrument
    cross_registry: bool
    plan: Plan


@dataclass(frozen=True, slots=True)
class _Release:
    order_id: str
    plan: Plan


@dataclass(frozen=True, slots=True)
class _Rebase:
    order_id: str
    plan: Plan


class SettlementService:
    def __init__(self, ctx: ServiceContext, *, group_id: str = "settlement") -> None:
        self.ctx = ctx
        self.ledger = AsyncLedger(ctx.redis)
        self.states = TradeStates(ctx.redis)
        self.instruments = InstrumentCache(ReferenceStore(ctx.redis))
        self.consumer = make_consumer(ctx.settings, ORDERS_EVENTS.name, BRIDGE_RESULTS.name, group_id=group_id,
                                      client_id=ctx.instance)

    async def run(self) -> None:
        if not await self._start_consumer():
            return
        mirror = asyncio.create_task(run_journal_mirror(self.ctx.redis, self.ctx.producer, self.ctx.stop))
        try:
            await consume(self.consumer, self.ctx.producer, self.handle, self.ctx.stop)
        finally:
            self.ctx.stop.set()
            await mirror
            await self.consumer.stop()

    async def _start_consumer(self) -> bool:
        delay = 0.2
        while not self.ctx.stop.is_set():
            try:
                await self.consumer.start()
                return True
            except KafkaError as err:
                log.error("consumer cannot start yet, retrying: %s", err)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        return False

    async def handle(self, batch: list[Delivery]) -> None:
        """One partition's batch: all from `orders.events` or all from `bridge.results`.

        A message that makes the batch fail for a reason other than a server being away is found by handling
        the batch one message at a time (everything is idempotent) and is dead-lettered; the rest goes on.
        """
        try:
            await self._handle(batch)
        except TRANSIENT_ERRORS:
            raise
        except Exception as err:
            if len(batch) == 1:
                log.exception("cannot handle %s", batch[0].envelope.event_id)
                await dead_letter(self.ctx.producer, batch[0].record, f"settlement failed: {type(err).__name__}: {err}")
                return
            log.error("batch failed (%s: %s); handling its messages one by one", type(err).__name__, err)
            for delivery in batch:
                await self.handle([delivery])

    async def _handle(self, batch: list[Delivery]) -> None:
        if batch[0].record.topic == BRIDGE_RESULTS.name:
            await self._bridge_results(batch)
        else:
            await self._order_events(batch)

    # --- orders.events -------------------------------------------------------------------------------------------

    async def _order_events(self, batch: list[Delivery]) -> None:
        work: list[_TradeWork | _Release | _Rebase] = []
        for delivery in batch:
            message = delivery.message
            if isinstance(message, TradeExecuted):
                planned = await self._plan_trade(delivery, message)
                if planned is not None:
                    work.append(planned)
            elif isinstance(message, ORDER_ENDS):
                plan = ledger_entries.release_order(order_id=message.order_id, time=delivery.envelope.occurred_at)
                work.append(_Release(message.order_id, plan))
            elif isinstance(message, OrderAmended):
                rebase = await self._plan_rebase(delivery, message)
                if rebase is not None:
                    work.append(rebase)
        if not work:
            return
        results = await self._run_in_order(work)
        holds = [(w, r) for w, r in zip(work, results) if isinstance(w, _TradeWork) and w.cross_registry and r.ok]
        requests = await self._delivery_requests(holds)
        transitions: list[Transition] = []
        outgoing: list[Outgoing] = []
        for w, result in zip(work, results):
            if isinstance(w, (_Release, _Rebase)):
                if not result.ok:
                    log.error("%s of order %s refused: %s %s", "release" if isinstance(w, _Release) else "rebase",
                              w.order_id, result.code, result.message)
                continue
            at = w.delivery.envelope.occurred_at
            if not result.ok:
                self._finish(translate.refused_by_ledger(w.trade, result), FAILED, at, transitions, outgoing,
                             fields=_terms(w, result), matched=w.trade)
            elif not w.cross_registry:
                self._finish(translate.settled_domestic(w.trade, w.instrument, result), SETTLED, at, transitions,
                             outgoing, fields=_terms(w, result), matched=w.trade)
            else:
                request = requests.get(w.trade.trade_id)
                if request is not None:
                    self._request_delivery(w, result, request, transitions, outgoing)
        await self._commit_effects(transitions, outgoing)

    async def _plan_trade(self, delivery: Delivery, trade: TradeExecuted) -> _TradeWork | None:
        instrument = await self.instruments.get(trade.instrument)
        if instrument is None:
            # A trade exists only on an instrument order entry listed first: a miss is an operator error, not
            # a race. Holding the partition for it would stop every other instrument in it, so park it on the
            # dead-letter topic (the reservations stay reserved and the audit still balances).
            await dead_letter(self.ctx.producer, delivery.record, f"unknown instrument {trade.instrument!r}")
            return None
        try:
            cross = translate.is_cross_registry(trade, instrument)
            sides = translate.trade_sides(trade, instrument)
        except ValueError as err:
            await dead_letter(self.ctx.producer, delivery.record, f"trade cannot be settled: {err}")
            return None
        at = delivery.envelope.occurred_at
        fees = instrument.fee_schedule
        if cross:
            plan = ledger_entries.hold_for_bridge(trade=sides, fees=fees, time=at)
        else:
            plan = ledger_entries.settle_domestic_trade(trade=sides, price=trade.price,
                                                        buyer_is_maker=translate.buyer_is_maker(trade), fees=fees,
                                                        registry=instrument.registry, time=at)
        return _TradeWork(delivery, trade, instrument, cross, plan)

    async def _plan_rebase(self, delivery: Delivery, amended: OrderAmended) -> _Rebase | None:
        """An amended order's reservation is rebased to its open quantity at its new limit (both sides)."""
        instrument = await self.instruments.get(amended.instrument)
        if instrument is None:
            await dead_letter(self.ctx.producer, delivery.record, f"unknown instrument {amended.instrument!r}")
            return None
        buy = amended.side is Side.BUY
        plan = ledger_entries.rebase_order(
            event_id=delivery.envelope.event_id, order_id=amended.order_id, account=amended.account,
            asset=instrument.currency_asset if buy else instrument.unit_asset, buy=buy, open_qty=amended.quantity,
            limit_price=amended.price, fees=instrument.fee_schedule, time=delivery.envelope.occurred_at)
        return _Rebase(amended.order_id, plan)

    async def _delivery_requests(self, holds: list[tuple[_TradeWork, PostResult]]) -> dict[str, DeliveryRequested]:
        """The bridge request of each held trade: as first recorded, or computed from the buyer's hold.

        A trade the bridge has already decided gets none (it is not asked again)."""
        if not holds:
            return {}
        trade_ids = [w.trade.trade_id for w, _ in holds]
        states = await self.states.get_many(trade_ids)
        pipe = self.ctx.redis.pipeline(transaction=False)
        for trade_id in trade_ids:
            pipe.hgetall(redis_keys.hold_key(trade_id, ledger_entries.BUY))
        buy_holds = [text_map(raw) for raw in await pipe.execute()]
        requests: dict[str, DeliveryRequested] = {}
        for (w, _), state, buy_hold in zip(holds, states, buy_holds):
            trade_id = w.trade.trade_id
            if state.get("status") in (SETTLED, FAILED):
                continue
            if "request" in state:
                requests[trade_id] = DeliveryRequested.model_validate_json(state["request"])
                continue
            try:
                requests[trade_id] = translate.delivery_request(w.trade, w.instrument, buy_hold,
                                                                matched_at=w.delivery.envelope.occurred_at)
            except (KeyError, ValueError) as err:
                log.error("held trade %s cannot be put to the bridge: %s", trade_id, err)
                await dead_letter(self.ctx.producer, w.delivery.record, f"held trade cannot be put to the bridge: {err}")
        return requests

    def _request_delivery(self, w: _TradeWork, result: PostResult, request: DeliveryRequested,
                          transitions: list[Transition], outgoing: list[Outgoing]) -> None:
        trade = w.trade
        fields = {**_terms(w, result), "request": request.model_dump_json()}
        transitions.append(Transition(trade.trade_id, PENDING_BRIDGE, fields,
                                      _appends(trade, trade_record=_trade_json(trade, w.delivery.envelope.occurred_at))))
        outgoing.append(Outgoing(BRIDGE_REQUESTS.name, trade.instrument, request, event_id=f"deliver:{trade.trade_id}",
                                 occurred_at=w.delivery.envelope.occurred_at, correlation_id=trade.trade_id))

    # --- bridge.results ------------------------------------------------------------------------------------------

    async def _bridge_results(self, batch: list[Delivery]) -> None:
        decided = [(d, d.message) for d in batch if isinstance(d.message, DeliveryDecided)]
        if not decided:
            return
        states = await self.states.get_many([m.trade_id for _, m in decided])
        known = []
        for (delivery, decision), state in zip(decided, states):
            if "request" not in state:
                await dead_letter(self.ctx.producer, delivery.record,
                                  f"decision on trade {decision.trade_id!r} that settlement never sent to the bridge")
                continue
            known.append((delivery, decision, state))
        plans = [ledger_entries.release_holds(trade_id=m.trade_id, time=d.envelope.occurred_at)
                 for d, m, _ in known if m.outcome == "REFUSED"]
        results = iter(await self._run_plans(plans))
        transitions: list[Transition] = []
        outgoing: list[Outgoing] = []
        for delivery, decision, state in known:
            request = DeliveryRequested.model_validate_json(state["request"])
            at = delivery.envelope.occurred_at
            if decision.outcome == "APPROVED":
                event: TradeSettled | TradeFailed = translate.settled_by_bridge(request, decision, state.get("entry_ids", ""))
                fields = {"entry_ids": ",".join(event.entry_ids), "bridge_entry_id": decision.entry_id,
                          "delivered_quantity": str(decision.delivered_quantity),
                          "delivered_asset": event.delivered_asset, "link_id": decision.link_id or ""}
                status = SETTLED
            else:
                released = next(results)
                if not released.ok:
                    log.error("release of the holds of %s refused: %s %s", decision.trade_id, released.code,
                              released.message)
                event = translate.refused_by_bridge(request, decision)
                fields = {"reason_code": str(event.reason_code), "reason": event.reason, "message": event.message,
                          "link_id": decision.link_id or ""}
                status = FAILED
            self._finish(event, status, at, transitions, outgoing, fields=fields, matched=None)
        await self._commit_effects(transitions, outgoing)

    # --- shared --------------------------------------------------------------------------------------------------

    async def _run_in_order(self, work: list[_TradeWork | _Release | _Rebase]) -> list[PostResult]:
        """The batch's plans, with each rebase run on its own: it must read its record after the fills before it
        (it releases from what they left), and the plans after it must read the rebased terms."""
        results: list[PostResult] = []
        segment: list[Plan] = []
        for w in work:
            if isinstance(w, _Rebase):
                results += await self._run_plans(segment) + await self._run_plans([w.plan])
                segment = []
            else:
                segment.append(w.plan)
        return results + await self._run_plans(segment)

    async def _run_plans(self, plans: list[Plan]) -> list[PostResult]:
        """``AsyncLedger.run_many``, reading each record once: the fills of one order share its reservation."""
        if not plans:
            return []
        keys = list(dict.fromkeys(key for plan in plans for key in plan.reads))
        pipe = self.ctx.redis.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        found = dict(zip(keys, (text_map(raw) for raw in await pipe.execute())))
        return await self.ledger.post_many([plan.build([found[key] for key in plan.reads]) for plan in plans])

    def _finish(self, event: TradeSettled | TradeFailed, status: str, at: int, transitions: list[Transition],
                outgoing: list[Outgoing], *, fields: dict[str, str], matched: TradeExecuted | None) -> None:
        """A trade reaches its final status: state, account records, and the event on `settlement.events`."""
        if isinstance(event, TradeFailed):
            fields = {**fields, "reason_code": str(event.reason_code), "reason": event.reason, "message": event.message}
        trade_record = _trade_json(matched, at) if matched is not None else None
        transitions.append(Transition(event.trade_id, status, fields,
                                      _appends(event, trade_record=trade_record, settlement_record=_event_json(event, at))))
        prefix = "settle" if status == SETTLED else "fail"
        outgoing.append(Outgoing(SETTLEMENT_EVENTS.name, event.instrument, event, event_id=f"{prefix}:{event.trade_id}",
                                 occurred_at=at, correlation_id=event.trade_id))

    async def _commit_effects(self, transitions: list[Transition], outgoing: list[Outgoing]) -> None:
        """Trade states first (the effects of record), then the events: a crash in between republishes them."""
        outcomes = await self.states.apply(transitions)
        conflicts = {t.trade_id for t, outcome in zip(transitions, outcomes) if outcome == CONFLICT}
        for trade_id in conflicts:
            log.error("trade %s is already final in another status; its new outcome is not published", trade_id)
        duplicates = sum(1 for outcome in outcomes if outcome == ALREADY)
        if duplicates:
            log.info("%d trade state change(s) were already applied (redelivery)", duplicates)
        await send_all(self.ctx.producer, [o for o in outgoing if o.correlation_id not in conflicts])


def _terms(w: _TradeWork, result: PostResult) -> dict[str, str]:
    t = w.trade
    return {
        "trade_id": t.trade_id, "instrument": t.instrument, "route": CROSS_REGISTRY if w.cross_registry else DOMESTIC,
        "buy_account": t.buy_account, "sell_account": t.sell_account, "buy_order_id": t.buy_order_id,
        "sell_order_id": t.sell_order_id, "price": str(t.price), "quantity": str(t.quantity),
        "matched_at": str(w.delivery.envelope.occurred_at), "entry_ids": result.entry_id,
    }


def _appends(message: Message, *, trade_record: bytes | None = None,
             settlement_record: bytes | None = None) -> list[tuple[str, bytes]]:
    accounts = dict.fromkeys((message.buy_account, message.sell_account))  # type: ignore[attr-defined]
    out: list[tuple[str, bytes]] = []
    for account in accounts:
        if trade_record is not None:
            out.append((market_keys.account_trades(account), trade_record))
        if settlement_record is not None:
            out.append((market_keys.account_settlements(account), settlement_record))
    return out


def _trade_json(trade: TradeExecuted, at: int) -> bytes:
    return orjson.dumps({**trade.model_dump(mode="json"), "at": at})


def _event_json(event: TradeSettled | TradeFailed, at: int) -> bytes:
    return orjson.dumps({"type": type(event).__name__, **event.model_dump(mode="json"), "at": at})


async def main(ctx: ServiceContext) -> None:
    await SettlementService(ctx).run()
