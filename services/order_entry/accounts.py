"""Account routes: balances (cash per currency, holdings per unit class, available and reserved), trades and
settlements (JSON lists settlement writes under ``acct:{account}:*``, a trader's own side only)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query

from services.order_entry.deps import AnyPrincipal, PortsDep, account_access
from services.order_entry.errors import ApiError, error_responses
from services.order_entry.principals import Principal, Role
from services.order_entry.schemas import AccountView, BalanceLine, HoldingLine
from services.order_entry.trade_views import own_side
from shared import market_keys as mk
from shared.money import MINOR_UNIT_DIGITS, from_minor

router = APIRouter(prefix="/v1/accounts", tags=["accounts"],
                   responses=error_responses(401, 403, 404, 422, 429, 503))

Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _amount(minor: int, currency: str) -> str:
    return from_minor(minor, currency) if currency in MINOR_UNIT_DIGITS else str(minor)


async def _records(ports: PortsDep, principal: Principal, account_id: str, key: str, limit: int) -> list[dict[str, Any]]:
    """The account's records, newest first: a trader sees its own side of each (no counterparty), operators and
    auditors everything."""
    await account_access(ports, principal, account_id)
    seen_as = {account_id} if principal.role is Role.TRADER else None
    return [own_side(orjson.loads(raw), seen_as) for raw in await ports.ctx.redis.lrange(key, 0, limit - 1)]


@router.get("/{registry}/{name}/trades", response_model=list[dict[str, Any]])
async def account_trades(registry: Name, name: Name, principal: AnyPrincipal, ports: PortsDep, limit: Limit = 100):
    """The account's trades, newest first."""
    account_id = f"{registry}/{name}"
    return await _records(ports, principal, account_id, mk.account_trades(account_id), limit)


@router.get("/{registry}/{name}/settlements", response_model=list[dict[str, Any]])
async def account_settlements(registry: Name, name: Name, principal: AnyPrincipal, ports: PortsDep, limit: Limit = 100):
    """The account's settlement events (settled or failed trades with the reason), newest first."""
    account_id = f"{registry}/{name}"
    return await _records(ports, principal, account_id, mk.account_settlements(account_id), limit)


@router.get("/{registry}/{name}", response_model=AccountView)
async def account(registry: Name, name: Name, principal: AnyPrincipal, ports: PortsDep) -> AccountView:
    account_id = f"{registry}/{name}"
    await account_access(ports, principal, account_id)
    record = await ports.reference.account(account_id)
    if record is None:
        raise ApiError(404, "ACCOUNT_NOT_FOUND", f"no account {account_id!r}", {"account": account_id})
    cash: dict[str, BalanceLine] = {}
    holdings: list[HoldingLine] = []
    for asset, (available, reserved) in (await ports.ledger.balances(account_id)).items():
        if asset.startswith("C:"):
            currency = asset[2:]
            cash[currency] = BalanceLine(available=_amount(available, currency), reserved=_amount(reserved, currency))
        else:
            _, origin, unit_type, vintage = asset.split(":")
            holdings.append(HoldingLine(asset=asset, origin=origin, unit_type=unit_type, vintage=int(vintage),
                                        available=available, reserved=reserved))
    return AccountView(account=account_id, registry=record.registry, type=record.type, holder=record.holder,
                       cash=cash, holdings=holdings)
