"""Operator actions on a link: suspend, resume, terminate (the Ontario 2018 drill).

Each sets the stored link's status at once (new deliveries are judged under it by the rule engine), then:
requests parked for a settlement window are refused now unless the suspension policy lets them settle;
resting orders of the receiving registry's accounts on instruments of units the link admits are
mass-cancelled (``MassCancel`` on ``orders.commands``) when the policy says so; and the net flow between the
link's registries at that moment is reported and written to the audit stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.bridge import bridge_keys as keys
from services.bridge import deferrals, rules
from services.bridge.agreements import directed_rules
from services.bridge.decisions import Bridge, unit_class_of
from services.bridge.flows import net_flows
from shared.kafka import publish
from shared.messages import MassCancel
from shared.reference import Instrument
from shared.reference_store import ReferenceStore
from shared.topics import ORDERS_COMMANDS


class LinkNotFound(LookupError):
    pass


class LinkTerminated(ValueError):
    """A terminated link stays terminated."""


@dataclass(frozen=True, slots=True)
class CancelSent:
    """A ``MassCancel`` published: resting orders of ``registry``'s accounts on ``instrument``."""

    instrument: str
    registry: str


@dataclass(frozen=True, slots=True)
class LinkActionReport:
    """What an operator action did, and the net flow between the link's registries at that moment."""

    link_id: str
    status: str
    at: int
    suspended_at: int | None
    refused: tuple[str, ...]
    settling: tuple[str, ...]
    mass_cancels: tuple[CancelSent, ...]
    net_flows: tuple[rules.PairBalance, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "link_id": self.link_id, "status": self.status, "at": self.at, "suspended_at": self.suspended_at,
            "refused": list(self.refused), "settling": list(self.settling),
            "mass_cancels": [{"instrument": c.instrument, "registry": c.registry} for c in self.mass_cancels],
            "net_flows": [_pair_dict(pair) for pair in self.net_flows],
        }


async def suspend_link(
    client: aioredis.Redis, producer: AIOKafkaProducer, link_id: str, *, at: int
) -> LinkActionReport:
    """Suspend at business time ``at`` (an already suspended link keeps its first ``suspended_at``)."""
    return await _act(client, producer, link_id, status="SUSPENDED", at=at)


async def resume_link(
    client: aioredis.Redis, producer: AIOKafkaProducer, link_id: str, *, at: int
) -> LinkActionReport:
    """Make a suspended link active again; parked requests settle at their window as before."""
    return await _act(client, producer, link_id, status="ACTIVE", at=at)


async def terminate_link(
    client: aioredis.Redis, producer: AIOKafkaProducer, link_id: str, *, at: int
) -> LinkActionReport:
    """Terminate for good: every parked request is refused (7106)."""
    return await _act(client, producer, link_id, status="TERMINATED", at=at)


async def _act(client: aioredis.Redis, producer: AIOKafkaProducer, link_id: str, *, status: str,
               at: int) -> LinkActionReport:
    store = ReferenceStore(client)
    terms = await store.link(link_id)
    if terms is None:
        raise LinkNotFound(f"no link {link_id!r}")
    if terms.status == "TERMINATED":
        raise LinkTerminated(f"link {link_id} is terminated for good")
    suspended_at = (terms.suspended_at if terms.status == "SUSPENDED" else None) or at
    terms = terms.model_copy(update={"status": status, "suspended_at": suspended_at if status == "SUSPENDED" else None})
    await store.put_link(terms)
    directed = directed_rules(terms)

    refused: list[str] = []
    settling: list[str] = []
    cancels: list[CancelSent] = []
    if status != "ACTIVE":
        refused, settling = await _judge_parked(client, producer, directed, at=at)
        cancels = await _mass_cancel(producer, directed, await store.instruments(), action=status.lower(), at=at)
    await producer.flush()

    flows = await net_flows(client)
    registries = sorted({r for rule in directed for r in (rule.from_registry, rule.to_registry)})
    pairs = tuple(rules.pair_balance(flows, a, b) for a, b in combinations(registries, 2))
    report = LinkActionReport(link_id=link_id, status=status, at=at, suspended_at=terms.suspended_at,
                              refused=tuple(refused), settling=tuple(settling), mass_cancels=tuple(cancels),
                              net_flows=pairs)
    await client.xadd(keys.AUDIT_STREAM, {"trade_id": "", "link_id": link_id, "outcome": f"LINK_{status}",
                                          "reason_code": "0", "time": str(at),
                                          "report": orjson.dumps(report.to_dict())})
    return report


async def _judge_parked(client: aioredis.Redis, producer: AIOKafkaProducer,
                        directed: tuple[rules.LinkageAgreement, ...], *, at: int) -> tuple[list[str], list[str]]:
    """Parked requests crossing the link: refuse now those the policy does not let settle."""
    directions = {(rule.from_registry, rule.to_registry) for rule in directed}
    crossing = {}
    for request, _ in await deferrals.parked(client):
        transfer = rules.TransferRequest(
            trade_id=request.trade_id, seller_account=request.sell_account, buyer_account=request.buy_account,
            unit_class=unit_class_of(request.unit_asset), quantity=request.quantity, matched_at=request.matched_at,
            time=at,
        )
        if (transfer.from_registry, transfer.to_registry) in directions:
            crossing[request.trade_id] = (request, transfer)
    plan = rules.plan_suspension(directed, [transfer for _, transfer in crossing.values()])
    bridge = Bridge(client, producer)
    for trade_id in plan.refuse:
        await bridge.decide(crossing[trade_id][0], time=at)
        await deferrals.unpark(client, trade_id)
    return list(plan.refuse), list(plan.settle)


async def _mass_cancel(producer: AIOKafkaProducer, directed: tuple[rules.LinkageAgreement, ...],
                       instruments: list[Instrument], *, action: str, at: int) -> list[CancelSent]:
    """One MassCancel per instrument of units a direction admits and the receiving registry that may not buy them."""
    by_direction = {(rule.from_registry, rule.to_registry): rule for rule in directed}
    sent: list[CancelSent] = []
    for cancel in rules.plan_suspension(directed, ()).mass_cancel:
        rule = by_direction[(cancel.held_in, cancel.account_registry)]
        for instrument in instruments:
            unit = rules.UnitClass(instrument.unit.origin, rules.UnitType(instrument.unit.type),
                                   instrument.unit.vintage)
            if instrument.registry != cancel.held_in or not rules.covers(rule, unit):
                continue
            command = MassCancel(instrument=instrument.id, registry=cancel.account_registry,
                                 reason=f"LINK_{action.upper()}")
            await publish(producer, ORDERS_COMMANDS.name, instrument.id, command,
                          event_id=f"link-{action}:{rule.link_id}:{at}:{instrument.id}:{cancel.account_registry}",
                          occurred_at=at, correlation_id=rule.link_id)
            sent.append(CancelSent(instrument.id, cancel.account_registry))
    return sent


def _pair_dict(pair: rules.PairBalance) -> dict[str, object]:
    def flow(f: rules.DirectedFlow) -> dict[str, object]:
        return {"from": f.from_registry, "to": f.to_registry, "transfers": f.transfers, "consumed": f.consumed,
                "gross": f.gross, "delivered": f.delivered, "levy": f.levy, "cancelled": f.cancelled}

    return {"a_to_b": flow(pair.a_to_b), "b_to_a": flow(pair.b_to_a), "net_out_of_a": pair.net_out_of_a,
            "net_out_of_b": pair.net_out_of_b}
