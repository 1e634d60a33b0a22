"""Operator routes for operations under /v1/admin: API keys, cash in and out, issuance and allocation,
verified emissions and surrender, holding limits, phase changes, mass cancels and the business clock; listing
keys and grants (operators and auditors), revoking grants."""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Path, Request

from services.order_entry.deps import Operator, OperatorOrAuditor, PortsDep
from services.order_entry.errors import ApiError, error_responses, not_found
from services.order_entry.principals import Role
from services.order_entry.schemas import (
    Accepted, CashMovement, ClockRequest, EmissionsRequest, HoldingLimitRequest, KeyCreated, KeyRequest, KeyView,
    LedgerResult, MassCancelRequest, PhaseRequest, SurrenderRequest, UnitMovement,
)
from shared.kafka import publish
from shared.ledger import PostResult, unit_asset
from shared.messages.order_commands import AdvanceClock, ChangePhase
from shared.money import AmountError, to_minor
from shared.business_clock import CLOCK_KEY, business_now
from shared.runtime import business_now_ms
from shared.topics import ORDERS_COMMANDS

router = APIRouter(prefix="/v1/admin", tags=["admin: operations"],
                   responses=error_responses(400, 401, 403, 404, 409, 422, 429, 503))

Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


def _entry_id(kind: str, reference: str | None) -> str:
    return f"{kind}:{reference}" if reference else f"{kind}:{time.time_ns()}:{secrets.token_hex(4)}"


def _result(result: PostResult) -> LedgerResult:
    if not result.ok:
        raise ApiError(409, "LEDGER_REFUSED", result.message or f"the ledger refused: {result.code}",
                       {"ledger_code": result.code, **{k: str(v) for k, v in result.details.items()}})
    return LedgerResult(entry_id=result.entry_id, ok=True, duplicate=result.duplicate)


async def _require_account(ports: PortsDep, account_id: str) -> None:
    if await ports.reference.account(account_id) is None:
        raise not_found("account", account_id)


@router.post("/keys", response_model=KeyCreated, status_code=201)
async def create_key(body: KeyRequest, _: Operator, ports: PortsDep) -> KeyCreated:
    """A new API key for a principal (created with the role if new). The key is shown only in this answer."""
    try:
        key_id, api_key = await ports.principals.create_key(principal=body.principal, role=Role(body.role),
                                                            rate=body.rate, burst=body.burst)
    except ValueError as err:
        raise ApiError(409, "PRINCIPAL_ROLE_CONFLICT", str(err)) from None
    return KeyCreated(key_id=key_id, principal=body.principal, role=body.role, api_key=api_key)


@router.get("/keys", response_model=list[KeyView])
async def list_keys(_: OperatorOrAuditor, ports: PortsDep) -> list[KeyView]:
    """Every API key's principal, role and limits (the keys themselves are never stored)."""
    return [KeyView(key_id=r["key_id"], principal=r.get("principal", ""), role=r.get("role", ""),
                    rate=int(r["rate"]) if r.get("rate") else None, burst=int(r["burst"]) if r.get("burst") else None,
                    created_at=int(r.get("created_at") or 0)) for r in await ports.principals.keys()]


@router.delete("/keys/{key_id}", status_code=204, response_model=None)
async def revoke_key(key_id: Name, _: Operator, ports: PortsDep) -> None:
    if not await ports.principals.revoke(key_id):
        raise not_found("key", key_id)


@router.get("/principals/{principal}/grants", response_model=list[str])
async def list_grants(principal: Name, _: OperatorOrAuditor, ports: PortsDep) -> list[str]:
    """The accounts a principal may use."""
    if await ports.principals.role_of(principal) is None:
        raise not_found("principal", principal)
    return await ports.principals.granted(principal)


@router.delete("/accounts/{registry}/{name}/grants/{principal}", status_code=204, response_model=None)
async def revoke_grant(registry: Name, name: Name, principal: Name, _: Operator, ports: PortsDep) -> None:
    """The principal may no longer use the account (its open orders stay; cancel them separately)."""
    account_id = f"{registry}/{name}"
    account = await ports.reference.account(account_id)
    if account is None:
        raise not_found("account", account_id)
    revoked = await ports.principals.revoke_grant(principal, account_id)
    if principal in account.principals:
        await ports.reference.put_account(account.model_copy(
            update={"principals": tuple(p for p in account.principals if p != principal)}))
    elif not revoked:
        raise ApiError(404, "GRANT_NOT_FOUND", f"{principal!r} has no grant on {account_id!r}",
                       {"principal": principal, "account": account_id})


async def _cash(ports: PortsDep, body: CashMovement, kind: str) -> LedgerResult:
    await _require_account(ports, body.account)
    try:
        amount = to_minor(body.amount, body.currency)
    except AmountError as err:
        raise ApiError(422, "INVALID_AMOUNT", str(err)) from None
    if amount <= 0:
        raise ApiError(422, "INVALID_AMOUNT", "the amount must be positive")
    operation = ports.ledger.deposit if kind == "deposit" else ports.ledger.withdraw
    return _result(await operation(entry_id=_entry_id(kind, body.reference), account=body.account,
                                   currency=body.currency, amount=amount, time=business_now_ms()))


@router.post("/deposits", response_model=LedgerResult, status_code=201)
async def deposit(body: CashMovement, _: Operator, ports: PortsDep) -> LedgerResult:
    """Cash into an account through its registry's cash gateway (idempotent per `reference`)."""
    return await _cash(ports, body, "deposit")


@router.post("/withdrawals", response_model=LedgerResult, status_code=201)
async def withdraw(body: CashMovement, _: Operator, ports: PortsDep) -> LedgerResult:
    return await _cash(ports, body, "withdraw")


async def _units(ports: PortsDep, body: UnitMovement, kind: str) -> LedgerResult:
    await _require_account(ports, body.account)
    registry = body.account.partition("/")[0]
    if body.origin != registry:
        raise ApiError(422, "ORIGIN_MISMATCH", "a registry issues only units of its own origin",
                       {"registry": registry, "origin": body.origin})
    operation = ports.ledger.issue if kind == "issue" else ports.ledger.allocate
    return _result(await operation(
        entry_id=_entry_id(kind, body.reference), registry=registry,
        unit_class=unit_asset(body.origin, body.unit_type, body.vintage), qty=body.quantity,
        to_account=body.account, time=business_now_ms()))


@router.post("/issuances", response_model=LedgerResult, status_code=201)
async def issue(body: UnitMovement, _: Operator, ports: PortsDep) -> LedgerResult:
    """Issue units of the account's registry into the account."""
    return await _units(ports, body, "issue")


@router.post("/allocations", response_model=LedgerResult, status_code=201)
async def allocate(body: UnitMovement, _: Operator, ports: PortsDep) -> LedgerResult:
    """Issue units as the entity's free allocation (counted for holding limits)."""
    return await _units(ports, body, "allocate")


@router.post("/emissions", response_model=LedgerResult, status_code=201)
async def record_emissions(body: EmissionsRequest, _: Operator, ports: PortsDep) -> LedgerResult:
    """Record an entity's verified emissions for a period: its surrender obligation."""
    await _require_account(ports, body.account)
    await ports.ledger.record_emissions(body.account, period=body.period, tonnes=body.tonnes)
    return LedgerResult(entry_id=f"emissions:{body.account}:{body.period}", ok=True)


@router.post("/surrenders", response_model=LedgerResult, status_code=201)
async def surrender(body: SurrenderRequest, _: Operator, ports: PortsDep) -> LedgerResult:
    """Surrender units against the period's obligation, within the registry's offset and foreign shares."""
    await _require_account(ports, body.account)
    return _result(await ports.ledger.surrender(
        entry_id=_entry_id("surrender", body.reference), account=body.account,
        unit_class=unit_asset(body.origin, body.unit_type, body.vintage), qty=body.quantity, period=body.period,
        time=business_now_ms()))


@router.post("/holding-limits", response_model=LedgerResult, status_code=201)
async def holding_limit(body: HoldingLimitRequest, _: Operator, ports: PortsDep) -> LedgerResult:
    await _require_account(ports, body.account)
    await ports.ledger.set_holding_limit(body.account, body.asset, body.limit)
    return LedgerResult(entry_id=f"holding-limit:{body.account}:{body.asset}", ok=True)


@router.post("/instruments/{instrument_id}/phase", response_model=Accepted, status_code=202)
async def change_phase(instrument_id: Name, body: PhaseRequest, _: Operator, ports: PortsDep) -> Accepted:
    """Move an instrument to a phase (pre-open, auction, continuous, halt, close); matching applies it."""
    instrument = await ports.reference.instrument(instrument_id)
    if instrument is None:
        raise not_found("instrument", instrument_id)
    try:
        reference = None if body.reference_price is None else to_minor(body.reference_price, instrument.currency)
    except AmountError as err:
        raise ApiError(422, "INVALID_PRICE", str(err)) from None
    if reference == 0:
        raise ApiError(422, "INVALID_PRICE", "a reference price must be positive")
    await ports.reference.put_instrument(instrument.model_copy(update={"phase": body.phase}))
    await publish(ports.ctx.producer, ORDERS_COMMANDS.name, instrument_id,
                  ChangePhase(instrument=instrument_id, phase=body.phase, reference_price=reference),
                  event_id=f"phase:{instrument_id}:{time.time_ns()}", occurred_at=await business_now(ports.ctx.redis),
                  wait=True)
    return Accepted(detail={"instrument": instrument_id, "phase": str(body.phase)})


@router.post("/mass-cancel", response_model=Accepted, status_code=202)
async def mass_cancel(body: MassCancelRequest, principal: Operator, request: Request) -> Accepted:
    """Cancel every open order of an instrument, optionally only one account's or one registry's."""
    return Accepted(detail=await request.app.state.desk.mass_cancel(principal, body))


@router.post("/clock", response_model=Accepted, status_code=202)
async def advance_clock(body: ClockRequest, _: Operator, ports: PortsDep) -> Accepted:
    """Business time moves on: matching expires GTD orders whose time has come. For every instrument (no
    ``instrument`` given) the exchange's business clock is also held at ``now`` until the next call (see
    ``shared.business_clock``): a drill steps the whole exchange through its scenario's time this way."""
    if body.instrument is not None:
        if await ports.reference.instrument(body.instrument) is None:
            raise not_found("instrument", body.instrument)
        targets = [body.instrument]
    else:
        targets = [i.id for i in await ports.reference.instruments()]
        await ports.ctx.redis.set(CLOCK_KEY, body.now)
    for instrument_id in targets:
        await publish(ports.ctx.producer, ORDERS_COMMANDS.name, instrument_id,
                      AdvanceClock(instrument=instrument_id, now=body.now),
                      event_id=f"clock:{instrument_id}:{body.now}", occurred_at=body.now, wait=True)
    return Accepted(detail={"instruments": targets, "now": body.now})


@router.delete("/clock", response_model=Accepted, status_code=202)
async def release_clock(_: Operator, ports: PortsDep) -> Accepted:
    """The exchange's business time follows the wall clock again."""
    await ports.ctx.redis.delete(CLOCK_KEY)
    return Accepted(detail={"now": business_now_ms()})
