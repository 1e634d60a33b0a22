"""Operators' commands on a link: suspend, resume, terminate (the Ontario 2018 drill), executed by the bridge.

Order entry publishes the command on ``bridge.commands``; ``execute`` carries it out once. It sets the stored
link's status at once (new deliveries are judged under it by the rule engine), then: requests parked for a
settlement window are refused now unless the suspension policy lets them settle; resting orders of the
receiving registry's accounts on instruments of units the link admits are mass-cancelled (``MassCancel`` on
``orders.commands``) when the policy says so; and the net flow between the link's registries at that moment is
reported. The result goes to the ``bridge:audit`` stream and, in the same transaction, to the
``shared.read_models.link_commands`` read model; a ``LinkCommandExecuted`` event goes to ``bridge.audit``.
"""

from __future__ import annotations

from itertools import combinations

import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.bridge import bridge_keys as keys
from services.bridge import deferrals, rules
from services.bridge.agreements import directed_rules
from services.bridge.decisions import Bridge, unit_class_of
from shared.kafka import publish
from shared.ledger.views import text_map
from shared.messages.link_commands import LinkCommand, LinkCommandExecuted, ResumeLink, SuspendLink, TerminateLink
from shared.messages.order_commands import MassCancel
from shared.read_models import link_commands, linkage
from shared.read_models.link_commands import LinkCommandResult, MassCancelView
from shared.reference import Instrument
from shared.reference_store import ReferenceStore
from shared.topics import BRIDGE_AUDIT, ORDERS_COMMANDS

STATUS_AFTER: dict[type[LinkCommand], str] = {SuspendLink: "SUSPENDED", ResumeLink: "ACTIVE",
                                              TerminateLink: "TERMINATED"}


class LinkNotFound(LookupError):
    pass


class LinkTerminated(ValueError):
    """A terminated link stays terminated."""


async def execute(client: aioredis.Redis, producer: AIOKafkaProducer, command: LinkCommand, *, bridge: Bridge,
                  command_id: str, at: int) -> LinkCommandResult:
    """Carry out one operator command at business time ``at`` (the command's), once: a redelivered command
    answers with its recorded result and changes nothing. An unknown or terminated link refuses the command;
    ``bridge`` refuses the parked requests a suspension or termination does not let settle."""
    key = link_commands.result_key(command_id)
    recorded = await client.get(key)
    if recorded is not None:
        return link_commands.decode(recorded)
    name = type(command).__name__
    try:
        result = await _act(client, producer, bridge, command.link_id, status=STATUS_AFTER[type(command)], at=at,
                            command_id=command_id, command=name)
    except LinkNotFound:
        result = LinkCommandResult(command_id=command_id, link_id=command.link_id, command=name, outcome="REFUSED",
                                   code="LINK_NOT_FOUND", at=at)
    except LinkTerminated:
        result = LinkCommandResult(command_id=command_id, link_id=command.link_id, command=name, outcome="REFUSED",
                                   code="LINK_TERMINATED", status="TERMINATED", at=at)
    pipe = client.pipeline(transaction=True)
    pipe.xadd(keys.AUDIT_STREAM, {
        "trade_id": "", "link_id": command.link_id, "command_id": command_id, "reason_code": "0", "time": str(at),
        "outcome": f"LINK_{result.status}" if result.outcome == "DONE" else f"LINK_COMMAND_{result.code}",
        "report": result.model_dump_json(),
    })
    pipe.set(key, link_commands.encode(result))
    await pipe.execute()
    event = LinkCommandExecuted(command_id=command_id, link_id=command.link_id, command=name,
                                outcome=result.outcome, code=result.code, status=result.status)
    await publish(producer, BRIDGE_AUDIT.name, command.link_id, event, event_id=f"link-command:{command_id}",
                  occurred_at=at, correlation_id=command_id, wait=True)
    return result


async def _act(client: aioredis.Redis, producer: AIOKafkaProducer, bridge: Bridge, link_id: str, *, status: str,
               at: int, command_id: str, command: str) -> LinkCommandResult:
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
    cancels: list[MassCancelView] = []
    if status != "ACTIVE":
        refused, settling = await _judge_parked(client, bridge, directed, at=at)
        cancels = await _mass_cancel(producer, directed, await store.instruments(), action=status.lower(), at=at)
    await producer.flush()

    flows = linkage.flows_from_counters(text_map(await client.hgetall(linkage.NETFLOW)))
    registries = sorted({r for rule in directed for r in (rule.from_registry, rule.to_registry)})
    return LinkCommandResult(command_id=command_id, link_id=link_id, command=command, outcome="DONE", status=status,
                             at=at, suspended_at=terms.suspended_at, refused=refused, settling=settling,
                             mass_cancels=cancels,
                             net_flows=[linkage.pair_view(flows, a, b) for a, b in combinations(registries, 2)])


async def _judge_parked(client: aioredis.Redis, bridge: Bridge, directed: tuple[rules.LinkageAgreement, ...], *,
                        at: int) -> tuple[list[str], list[str]]:
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
    for trade_id in plan.refuse:
        await bridge.decide(crossing[trade_id][0], time=at)
        await deferrals.unpark(client, trade_id)
    return list(plan.refuse), list(plan.settle)


async def _mass_cancel(producer: AIOKafkaProducer, directed: tuple[rules.LinkageAgreement, ...],
                       instruments: list[Instrument], *, action: str, at: int) -> list[MassCancelView]:
    """One MassCancel per instrument of units a direction admits and the receiving registry that may not buy them."""
    by_direction = {(rule.from_registry, rule.to_registry): rule for rule in directed}
    sent: list[MassCancelView] = []
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
            sent.append(MassCancelView(instrument=instrument.id, registry=cancel.account_registry))
    return sent

