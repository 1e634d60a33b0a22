"""Settlement of `orders.events`: trades, amends and order ends, in the order matching produced them.

Per batch: drop what was already applied (each event id is ``{instrument}:{seq}``, and settlement's mark per
instrument says how far it got, see ``shared.event_outbox``), hold back what comes before the event it follows
(the envelope's ``follows``: matching's produce of an earlier batch failed while a later one's succeeded; the
held-back events reach settlement again, in order, from matching's outbox), plan every ledger movement (domestic delivery
versus payment, a cross-registry hold, an order's release, an amended order's rebase), run them (an amend cuts
the batch, see ``_run_in_order``; a domestic trade's entry moves its state in the same call), move the other
trades' states with their account records, publish, then raise the marks. A batch repeated after a crash (from
Kafka or from matching's outbox) repeats nothing.

A trade the ledger refuses because it names no reservation of this exchange (orders it never accepted, accounts
or assets it does not know) is not a trade matching made: it is dead-lettered and touches no account.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from services.settlement import translate
from services.settlement.effects import Effects, Moved, Then, finish_event
from services.settlement.instruments import InstrumentCache
from services.settlement.outbox import Outgoing
from services.settlement.trade_state import FAILED, SETTLED, Transition
from services.settlement.trade_work import TradeWork, request_delivery, settled, terms
from shared import event_outbox, redis_keys
from shared.kafka import Delivery, dead_letter
from shared.ledger import Plan, PostResult
from shared.ledger import entries as ledger_entries
from shared.messages.order_events import OrderAmended, OrderCancelled, OrderExpired, OrderRejected, TradeExecuted
from shared.messages.post_trade import DeliveryRequested
from shared.messages.vocabulary import Side
from shared.reference import Instrument
from shared.topics import ORDERS_EVENTS

log = logging.getLogger(__name__)

ORDER_ENDS = (OrderCancelled, OrderExpired, OrderRejected)

#: Ledger refusals that say the trade names no reservation, account or asset of this exchange: never a trade
#: matching made (its orders were reserved for before they were accepted). Any other refusal of a trade fails it
#: visibly, with the ledger's code, so that a trade matching did make is never dropped silently.
NOT_OUR_TRADE = frozenset({"RESERVATION_MISMATCH", "CURRENCY_MISMATCH", "UNKNOWN_ACCOUNT", "UNKNOWN_ASSET"})


@dataclass(frozen=True, slots=True)
class _Release:
    delivery: Delivery
    order_id: str
    plan: Plan


@dataclass(frozen=True, slots=True)
class _Rebase:
    delivery: Delivery
    order_id: str
    plan: Plan


Work = TradeWork | _Release | _Rebase


class OrderEvents:
    def __init__(self, effects: Effects, instruments: InstrumentCache) -> None:
        self.effects = effects
        self.instruments = instruments

    async def handle(self, batch: list[Delivery]) -> bool:
        """Apply the batch's events that settlement has not applied yet and that come in order; True when some
        were held back because an event they follow has not been applied (a gap)."""
        fresh, gap = await self._fresh(batch)
        if not fresh:
            return gap
        refused: set[int] = set()
        work: list[Work] = []
        # Each instrument looked up once per batch: a lookup per event (a Redis round trip on a miss) let every
        # dead letter of an unknown instrument's trades go to the broker in a produce request of its own.
        known: dict[str, Instrument | None] = {}
        for delivery in fresh:
            if isinstance(delivery.message, (TradeExecuted, OrderAmended)):
                instrument = delivery.message.instrument
                if instrument not in known:
                    known[instrument] = await self.instruments.get(instrument)
        for delivery in fresh:
            planned = await self._plan(delivery, known)
            if planned is not None:
                work.append(planned)
        if work:
            refused = await self._settle(work)
        positions: dict[str, int] = {}
        for delivery in fresh:
            if id(delivery) not in refused:
                instrument, seq = event_outbox.position_of(delivery.envelope.event_id)
                positions[instrument] = max(seq, positions.get(instrument, 0))
        await event_outbox.record_marks(self.effects.redis, ORDERS_EVENTS.name, positions)
        return gap

    async def _fresh(self, batch: list[Delivery]) -> tuple[list[Delivery], bool]:
        """The deliveries not applied yet that come in order, and whether any were held back for a gap. One
        whose id (or the id it follows) is not an event id of its own instrument is dead-lettered."""
        placed: list[tuple[Delivery, str, int, int]] = []
        for delivery in batch:
            envelope = delivery.envelope
            try:
                instrument, seq = event_outbox.position_of(envelope.event_id)
                follows = event_outbox.position_of(envelope.follows) if envelope.follows else (instrument, 0)
            except ValueError as err:
                await dead_letter(self.effects.producer, delivery.record, f"not an event of matching: {err}")
                continue
            if not instrument == follows[0] == getattr(delivery.message, "instrument", None):
                await dead_letter(self.effects.producer, delivery.record,
                                  f"not an event of matching: event id {envelope.event_id!r} (following "
                                  f"{envelope.follows!r}) names another instrument")
                continue
            placed.append((delivery, instrument, seq, follows[1]))
        reached = await event_outbox.marks(self.effects.redis, ORDERS_EVENTS.name, (i for _, i, _, _ in placed))
        fresh = []
        held: dict[str, tuple[str, int]] = {}
        for delivery, instrument, seq, follows in placed:
            if seq <= reached[instrument]:  # also drops a repeat within the batch
                continue
            if instrument in held or follows > reached[instrument]:
                held.setdefault(instrument, (delivery.envelope.event_id, reached[instrument]))
                continue
            reached[instrument] = seq
            fresh.append(delivery)
        for instrument, (event_id, mark) in held.items():
            log.warning("%s arrived before events it follows (settlement reached %s:%d): held back until they "
                        "are in matching's outbox", event_id, instrument, mark)
        return fresh, bool(held)

    async def _plan(self, delivery: Delivery, known: dict[str, Instrument | None]) -> Work | None:
        """The work for one event; `known` holds the batch's instruments (None: not in the reference store)."""
        message = delivery.message
        if isinstance(message, TradeExecuted):
            return await self._plan_trade(delivery, message, known[message.instrument])
        if isinstance(message, ORDER_ENDS):
            plan = ledger_entries.release_order(order_id=message.order_id, time=delivery.envelope.occurred_at)
            return _Release(delivery, message.order_id, plan)
        if isinstance(message, OrderAmended):
            return await self._plan_rebase(delivery, message, known[message.instrument])
        return None

    async def _settle(self, work: list[Work]) -> set[int]:
        """Run and record the work; the ids of the deliveries dead-lettered as not our trades."""
        posted = await self._run_in_order(work)
        refused: set[int] = set()
        for w, (result, _) in zip(work, posted):
            if isinstance(w, TradeWork) and not result.ok and result.code in NOT_OUR_TRADE:
                refused.add(id(w.delivery))
                await dead_letter(self.effects.producer, w.delivery.record,
                                  f"trade {w.trade.trade_id!r} fits no reservation: {result.code}: {result.message}")
        holds = [(w, r) for w, (r, _) in zip(work, posted)
                 if isinstance(w, TradeWork) and w.cross_registry and r.ok]
        requests = await self._delivery_requests(holds)
        transitions: list[Transition] = []
        outgoing: list[Outgoing] = []
        moved_with_entry: dict[str, int] = {}
        for w, (result, moved) in zip(work, posted):
            if not isinstance(w, TradeWork):
                if not result.ok:
                    log.error("%s of order %s refused: %s %s", "release" if isinstance(w, _Release) else "rebase",
                              w.order_id, result.code, result.message)
                continue
            if id(w.delivery) in refused:
                continue
            at = w.delivery.envelope.occurred_at
            if moved is not None:
                transitions.append(moved.transition)
                outgoing.append(moved.outgoing)
                moved_with_entry[w.trade.trade_id] = moved.outcome
            elif not result.ok:
                finish_event(translate.refused_by_ledger(w.trade, result), FAILED, at, transitions, outgoing,
                             fields=terms(w, result.entry_id), matched=w.trade,
                             started_ms=w.delivery.record.timestamp)
            elif (request := requests.get(w.trade.trade_id)) is not None:
                request_delivery(w, result, request, transitions, outgoing)
        await self.effects.commit(transitions, outgoing, moved_with_entry)
        return refused

    async def _plan_trade(self, delivery: Delivery, trade: TradeExecuted,
                          instrument: Instrument | None) -> TradeWork | None:
        if instrument is None:
            # A trade exists only on an instrument order entry listed first: a miss is an operator error, not
            # a race. Holding the partition for it would stop every other instrument in it, so park it on the
            # dead-letter topic (the reservations stay reserved and the audit still balances).
            await dead_letter(self.effects.producer, delivery.record, f"unknown instrument {trade.instrument!r}")
            return None
        try:
            cross, plan = translate.trade_plan(trade, instrument, at=delivery.envelope.occurred_at)
        except ValueError as err:
            await dead_letter(self.effects.producer, delivery.record, f"trade cannot be settled: {err}")
            return None
        return TradeWork(delivery, trade, instrument, cross, plan)

    async def _plan_rebase(self, delivery: Delivery, amended: OrderAmended,
                           instrument: Instrument | None) -> _Rebase | None:
        """An amended order's reservation is rebased to its open quantity at its new limit (both sides)."""
        if instrument is None:
            await dead_letter(self.effects.producer, delivery.record, f"unknown instrument {amended.instrument!r}")
            return None
        buy = amended.side is Side.BUY
        plan = ledger_entries.rebase_order(
            event_id=delivery.envelope.event_id, order_id=amended.order_id, account=amended.account,
            asset=instrument.currency_asset if buy else instrument.unit_asset, buy=buy, open_qty=amended.quantity,
            limit_price=amended.price, fees=instrument.fee_schedule, time=delivery.envelope.occurred_at)
        return _Rebase(delivery, amended.order_id, plan)

    async def _run_in_order(self, work: list[Work]) -> list[tuple[PostResult, Moved | None]]:
        """The batch's plans, with each rebase run on its own: it must read its record after the fills before it
        (it releases from what they left), and the plans after it must read the rebased terms. A domestic trade's
        entry carries its move to SETTLED (``settle.lua``)."""
        posted: list[tuple[PostResult, Moved | None]] = []
        segment: list[tuple[Plan, Then | None]] = []
        for w in work:
            if isinstance(w, _Rebase):
                posted += await self.effects.settle_plans(segment) + await self.effects.settle_plans([(w.plan, None)])
                segment = []
            elif isinstance(w, TradeWork) and not w.cross_registry:
                segment.append((w.plan, functools.partial(settled, w)))
            else:
                segment.append((w.plan, None))
        return posted + await self.effects.settle_plans(segment)

    async def _delivery_requests(self, holds: list[tuple[TradeWork, PostResult]]) -> dict[str, DeliveryRequested]:
        """The bridge request of each held trade: as first recorded, or computed from the buyer's hold.

        A trade the bridge has already decided gets none (it is not asked again)."""
        if not holds:
            return {}
        trade_ids = [w.trade.trade_id for w, _ in holds]
        states = await self.effects.states.get_many(trade_ids)
        buy_holds = await self.effects.ledger.read_records(
            [redis_keys.hold_key(trade_id, ledger_entries.BUY) for trade_id in trade_ids])
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
                await dead_letter(self.effects.producer, w.delivery.record,
                                  f"held trade cannot be put to the bridge: {err}")
        return requests
