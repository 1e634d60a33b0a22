"""Operator routes for reference data under /v1/admin: registries, instruments, accounts (with their ledger
accounts and grants) and linkage agreements. Suspend, resume and terminate are commands the bridge executes:
they are published on ``bridge.commands`` and answered 202 with the command id; the result shows in the link's
state and at ``/v1/admin/links/commands/{command_id}``. Auditors may read."""

from __future__ import annotations

import time
import uuid
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from services.order_entry.deps import Operator, OperatorOrAuditor, PortsDep
from services.order_entry.errors import ApiError, error_responses, not_found
from services.order_entry.principals import Role
from services.order_entry.schemas import GrantRequest
from shared.business_clock import business_now
from shared.kafka import publish
from shared.ledger import AccountType
from shared.messages.link_commands import ResumeLink, SuspendLink, TerminateLink
from shared.messages.order_commands import ConfigureInstrument
from shared.read_models import link_commands
from shared.read_models.link_commands import LinkCommandResult
from shared.reference import Account, Instrument, LinkageTerms, Registry
from shared.topics import BRIDGE_COMMANDS, ORDERS_COMMANDS

router = APIRouter(prefix="/v1/admin", tags=["admin: reference data"],
                   responses=error_responses(400, 401, 403, 404, 409, 422, 429, 503))

Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
CommandId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


async def _require_registry(ports: PortsDep, registry_id: str) -> Registry:
    registry = await ports.reference.registry(registry_id)
    if registry is None:
        raise not_found("registry", registry_id)
    return registry


@router.post("/registries", response_model=Registry, status_code=201)
async def put_registry(body: Registry, _: Operator, ports: PortsDep) -> Registry:
    """Create or update a registry; opens it (and its system accounts) in the ledger."""
    await ports.ledger.open_registry(
        body.id, currency=body.currency,
        offset_share=None if body.offset_share is None else Fraction(body.offset_share),
        foreign_share=None if body.foreign_share is None else Fraction(body.foreign_share))
    await ports.reference.put_registry(body)
    return body


@router.get("/registries", response_model=list[Registry])
async def list_registries(_: OperatorOrAuditor, ports: PortsDep) -> list[Registry]:
    return await ports.reference.registries()


@router.get("/registries/{registry_id}", response_model=Registry)
async def get_registry(registry_id: Name, _: OperatorOrAuditor, ports: PortsDep) -> Registry:
    return await _require_registry(ports, registry_id)


@router.post("/instruments", response_model=Instrument, status_code=201)
async def put_instrument(body: Instrument, _: Operator, ports: PortsDep) -> Instrument:
    """List or re-configure an instrument: stored, then ConfigureInstrument goes to matching."""
    await _require_registry(ports, body.registry)
    await ports.ledger.declare_currency(body.currency)
    await ports.reference.put_instrument(body)
    command = ConfigureInstrument(
        instrument=body.id, registry=body.registry, currency=body.currency, unit_asset=body.unit_asset,
        tick=body.tick, lot=body.lot, min_quantity=body.min_quantity, max_quantity=body.max_quantity,
        band=body.band, reference_price=body.reference_price, circuit_breaker_move=body.circuit_breaker_move,
        circuit_breaker_window_ms=body.circuit_breaker_window_ms, self_trade_prevention=body.self_trade_prevention)
    await publish(ports.ctx.producer, ORDERS_COMMANDS.name, body.id, command,
                  event_id=f"configure:{body.id}:{time.time_ns()}", occurred_at=await business_now(ports.ctx.redis), wait=True)
    return body


@router.get("/instruments/{instrument_id}", response_model=Instrument)
async def get_instrument(instrument_id: Name, _: OperatorOrAuditor, ports: PortsDep) -> Instrument:
    instrument = await ports.reference.instrument(instrument_id)
    if instrument is None:
        raise not_found("instrument", instrument_id)
    return instrument


@router.post("/accounts", response_model=Account, status_code=201)
async def put_account(body: Account, _: Operator, ports: PortsDep) -> Account:
    """Open an account in its registry's ledger and grant it to trader principals."""
    await _require_registry(ports, body.registry)
    for principal in body.principals:
        await _require_trader(ports, principal)
    await ports.ledger.open_account(body.id, account_type=AccountType(body.type), holder=body.holder)
    for principal in body.principals:
        await ports.principals.grant(principal, body.id)
    await ports.reference.put_account(body)
    return body


@router.get("/accounts", response_model=list[Account])
async def list_accounts(_: OperatorOrAuditor, ports: PortsDep) -> list[Account]:
    return await ports.reference.accounts()


@router.post("/accounts/{registry}/{name}/grants", response_model=Account)
async def grant(registry: Name, name: Name, body: GrantRequest, _: Operator, ports: PortsDep) -> Account:
    """Let a trader principal use the account."""
    account_id = f"{registry}/{name}"
    account = await ports.reference.account(account_id)
    if account is None:
        raise not_found("account", account_id)
    await _require_trader(ports, body.principal)
    await ports.principals.grant(body.principal, account_id)
    if body.principal not in account.principals:
        account = account.model_copy(update={"principals": (*account.principals, body.principal)})
        await ports.reference.put_account(account)
    return account


async def _require_trader(ports: PortsDep, principal: str) -> None:
    role = await ports.principals.role_of(principal)
    if role is None:
        raise not_found("principal", principal)
    if role is not Role.TRADER:
        raise ApiError(409, "NOT_A_TRADER", f"principal {principal!r} has role {role}, accounts go to traders")


@router.post("/links", response_model=LinkageTerms, status_code=201)
async def put_link(body: LinkageTerms, _: Operator, ports: PortsDep) -> LinkageTerms:
    """Store a linkage agreement (the bridge reads it)."""
    for registry_id in {*body.members, body.from_registry, body.to_registry} - {None}:
        await _require_registry(ports, registry_id)  # type: ignore[arg-type]
    await ports.reference.put_link(body)
    return body


@router.get("/links", response_model=list[LinkageTerms])
async def list_links(_: OperatorOrAuditor, ports: PortsDep) -> list[LinkageTerms]:
    return await ports.reference.links()


@router.get("/links/{link_id}", response_model=LinkageTerms)
async def get_link(link_id: Name, _: OperatorOrAuditor, ports: PortsDep) -> LinkageTerms:
    link = await ports.reference.link(link_id)
    if link is None:
        raise not_found("link", link_id)
    return link


class LinkCommandAccepted(BaseModel):
    """An operator's command on a link, published for the bridge to execute."""

    command_id: str
    link_id: str
    command: str = Field(description="SuspendLink, ResumeLink or TerminateLink")
    result: str = Field(description="where the bridge's result shows once it has executed the command")


LinkCommandType = type[SuspendLink] | type[ResumeLink] | type[TerminateLink]


async def _send(ports: PortsDep, link_id: str, command_type: LinkCommandType) -> LinkCommandAccepted:
    """Publish the command for the bridge (it owns link operations); refuse at once what it would refuse."""
    link = await ports.reference.link(link_id)
    if link is None:
        raise not_found("link", link_id)
    if link.status == "TERMINATED":
        raise ApiError(409, "LINK_TERMINATED", f"link {link_id} is terminated for good", {"link": link_id})
    command_id = uuid.uuid4().hex
    await publish(ports.ctx.producer, BRIDGE_COMMANDS.name, link_id, command_type(link_id=link_id),
                  event_id=command_id, occurred_at=await business_now(ports.ctx.redis), correlation_id=link_id,
                  wait=True)
    return LinkCommandAccepted(command_id=command_id, link_id=link_id, command=command_type.__name__,
                               result=f"/v1/admin/links/commands/{command_id}")


@router.post("/links/{link_id}/suspend", response_model=LinkCommandAccepted, status_code=202)
async def suspend_link(link_id: Name, _: Operator, ports: PortsDep) -> LinkCommandAccepted:
    """Ask the bridge to suspend at once: parked trades follow the suspension policy, resting foreign orders are
    mass-cancelled, and the result reports the net flow at that moment (the Ontario 2018 drill)."""
    return await _send(ports, link_id, SuspendLink)


@router.post("/links/{link_id}/resume", response_model=LinkCommandAccepted, status_code=202)
async def resume_link(link_id: Name, _: Operator, ports: PortsDep) -> LinkCommandAccepted:
    """Ask the bridge to make a suspended link active again."""
    return await _send(ports, link_id, ResumeLink)


@router.post("/links/{link_id}/terminate", response_model=LinkCommandAccepted, status_code=202)
async def terminate_link(link_id: Name, _: Operator, ports: PortsDep) -> LinkCommandAccepted:
    """Ask the bridge to terminate for good: parked trades are refused and resting foreign orders mass-cancelled."""
    return await _send(ports, link_id, TerminateLink)


@router.get("/links/commands/{command_id}", response_model=LinkCommandResult)
async def link_command(command_id: CommandId, _: OperatorOrAuditor, ports: PortsDep) -> LinkCommandResult:
    """What the bridge did with a link command (``shared.read_models.link_commands``); 404
    ``LINK_COMMAND_PENDING`` until it has executed it."""
    raw = await ports.ctx.redis.get(link_commands.result_key(command_id))
    if raw is None:
        raise ApiError(404, "LINK_COMMAND_PENDING", f"the bridge has not executed command {command_id} (yet)",
                       {"command_id": command_id})
    return link_commands.decode(raw)
