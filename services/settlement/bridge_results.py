"""Settlement of `bridge.results`: the bridge's decision on a held cross-registry trade settles it (approved)
or releases both holds and fails it with the bridge's code (refused). A decision on a trade settlement never
put to the bridge is dead-lettered.
"""

from __future__ import annotations

import logging

from services.settlement import translate
from services.settlement.effects import Effects, finish_event
from services.settlement.outbox import Outgoing
from services.settlement.trade_state import FAILED, SETTLED, Transition
from shared.kafka import Delivery, dead_letter
from shared.ledger import entries as ledger_entries
from shared.messages.post_trade import DeliveryDecided, DeliveryRequested, TradeFailed, TradeSettled

log = logging.getLogger(__name__)


class BridgeResults:
    def __init__(self, effects: Effects) -> None:
        self.effects = effects

    async def handle(self, batch: list[Delivery]) -> None:
        decided = [(d, d.message) for d in batch if isinstance(d.message, DeliveryDecided)]
        if not decided:
            return
        states = await self.effects.states.get_many([m.trade_id for _, m in decided])
        known = []
        for (delivery, decision), state in zip(decided, states):
            if "request" not in state:
                await dead_letter(self.effects.producer, delivery.record,
                                  f"decision on trade {decision.trade_id!r} that settlement never sent to the bridge")
                continue
            known.append((delivery, decision, state))
        plans = [ledger_entries.release_holds(trade_id=m.trade_id, time=d.envelope.occurred_at)
                 for d, m, _ in known if m.outcome == "REFUSED"]
        results = iter(await self.effects.ledger.run_many(plans))
        transitions: list[Transition] = []
        outgoing: list[Outgoing] = []
        for delivery, decision, state in known:
            request = DeliveryRequested.model_validate_json(state["request"])
            at = delivery.envelope.occurred_at
            if decision.outcome == "APPROVED":
                event: TradeSettled | TradeFailed = translate.settled_by_bridge(request, decision,
                                                                                state.get("entry_ids", ""))
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
            finish_event(event, status, at, transitions, outgoing, fields=fields, matched=None,
                         started_ms=int(state["pending_since"]) if "pending_since" in state else None)
        await self.effects.commit(transitions, outgoing)
