"""A matched trade as settlement works it (``TradeWork``: the trade, its instrument, its route and its ledger plan),
and what each outcome records: the trade's terms on its state, a domestic trade's move to SETTLED with the
``TradeSettled`` announcing it, a held trade's move to PENDING_BRIDGE with its request to the bridge.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.settlement import translate
from services.settlement.effects import appends, finish, trade_json
from services.settlement.outbox import Outgoing
from services.settlement.trade_state import CROSS_REGISTRY, DOMESTIC, PENDING_BRIDGE, SETTLED, Transition
from shared.kafka import Delivery
from shared.ledger import Plan, PostResult
from shared.messages.order_events import TradeExecuted
from shared.messages.post_trade import DeliveryRequested, TradeSettled
from shared.reference import Instrument
from shared.topics import BRIDGE_REQUESTS


@dataclass(frozen=True, slots=True)
class TradeWork:
    delivery: Delivery
    trade: TradeExecuted
    instrument: Instrument
    cross_registry: bool
    plan: Plan


def settled(w: TradeWork, entry_id: str) -> tuple[Transition, Outgoing]:
    """A domestic trade settled by its entry: its move to SETTLED and the ``TradeSettled`` announcing it."""
    transitions: list[Transition] = []
    outgoing: list[Outgoing] = []
    finish(TradeSettled.__name__, translate.settled_payload(w.trade, w.instrument, entry_id), SETTLED,
           w.delivery.envelope.occurred_at, transitions, outgoing, fields=terms(w, entry_id), matched=w.trade,
           started_ms=w.delivery.record.timestamp)
    return transitions[0], outgoing[0]


def request_delivery(w: TradeWork, result: PostResult, request: DeliveryRequested,
                     transitions: list[Transition], outgoing: list[Outgoing]) -> None:
    """A held trade waits for the bridge: its move to PENDING_BRIDGE and its request."""
    trade = w.trade
    at = w.delivery.envelope.occurred_at
    fields = {**terms(w, result.entry_id), "request": request.model_dump_json()}
    records = appends(trade.buy_account, trade.sell_account, trade_record=trade_json(trade, at))
    transitions.append(Transition(trade.trade_id, PENDING_BRIDGE, fields, records))
    outgoing.append(Outgoing.of(BRIDGE_REQUESTS.name, trade.instrument, request,
                                event_id=delivery_request_id(trade.trade_id), occurred_at=at,
                                correlation_id=trade.trade_id))


def delivery_request_id(trade_id: str) -> str:
    """The event id of a trade's request to the bridge: the same every time it is sent."""
    return f"deliver:{trade_id}"


def terms(w: TradeWork, entry_id: str) -> dict[str, str]:
    """The trade's terms as its state records them."""
    t = w.trade
    return {
        "trade_id": t.trade_id, "instrument": t.instrument, "route": CROSS_REGISTRY if w.cross_registry else DOMESTIC,
        "buy_account": t.buy_account, "sell_account": t.sell_account, "buy_order_id": t.buy_order_id,
        "sell_order_id": t.sell_order_id, "price": str(t.price), "quantity": str(t.quantity),
        "matched_at": str(w.delivery.envelope.occurred_at), "entry_ids": entry_id,
    }
