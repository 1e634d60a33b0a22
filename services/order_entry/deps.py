"""FastAPI dependencies as `Annotated` aliases: the service's ports, and who is calling (with rate limit)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.order_entry.errors import ApiError
from services.order_entry.principals import KeyCheck, Principal, PrincipalStore, Role
from shared.ledger import AsyncLedger, LedgerPort
from shared.market_mirror import MarketMirror
from shared.redis_market_mirror import RedisMarketMirror
from shared.reference_data import ReferenceData
from shared.reference_store import ReferenceStore
from shared.runtime import ServiceContext


@dataclass(frozen=True, slots=True)
class Ports:
    """Everything a route needs, built once per app (``make_ports``, the service's composition root)."""

    ctx: ServiceContext
    reference: ReferenceData
    principals: PrincipalStore
    ledger: LedgerPort
    market: MarketMirror


def make_ports(ctx: ServiceContext) -> Ports:
    return Ports(ctx=ctx, reference=ReferenceStore(ctx.redis), principals=PrincipalStore(ctx.redis),
                 ledger=AsyncLedger(ctx.redis), market=RedisMarketMirror(ctx.redis))


async def _ports(request: Request) -> Ports:  # async: FastAPI runs a plain `def` dependency in a worker thread
    return request.app.state.ports


PortsDep = Annotated[Ports, Depends(_ports)]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key")
_bearer = HTTPBearer(auto_error=False, description="the API key as a bearer token")


async def _optional_principal(
    ports: PortsDep,
    api_key: Annotated[str | None, Security(_api_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> Principal | None:
    return await authenticate(ports.principals, api_key or (bearer.credentials if bearer else None))


async def authenticate(principals: PrincipalStore, presented: str | None) -> Principal | None:
    """Who presented the key (None: no key), taking one token of its rate limit; 401 or 429 otherwise."""
    if not presented:
        return None
    refuse_oversized(presented)
    return checked(await principals.check(presented))


def refuse_oversized(presented: str) -> None:
    """A key longer than any issued is refused before it is looked up."""
    if len(presented) > 200:
        raise ApiError(401, "INVALID_API_KEY", "the API key is not valid")


def checked(check: KeyCheck) -> Principal:
    """The principal of a key check: 401 for an unknown key, 429 when its rate limit is spent."""
    if check.principal is None:
        raise ApiError(401, "INVALID_API_KEY", "the API key is not valid")
    if check.retry_after_ms:
        seconds = max(1, math.ceil(check.retry_after_ms / 1000))
        raise ApiError(429, "RATE_LIMITED", "too many requests for this key", {"retry_after_ms": check.retry_after_ms},
                       headers={"Retry-After": str(seconds)})
    return check.principal


async def _principal(principal: Annotated[Principal | None, Depends(_optional_principal)]) -> Principal:
    if principal is None:
        raise ApiError(401, "UNAUTHENTICATED", "this endpoint needs an API key (X-API-Key or Authorization: Bearer)")
    return principal


def require(principal: Principal | None, *roles: Role) -> Principal:
    """The principal, if there is one and it has one of `roles`: 401 or 403 otherwise."""
    if principal is None:
        raise ApiError(401, "UNAUTHENTICATED", "this endpoint needs an API key (X-API-Key or Authorization: Bearer)")
    if principal.role not in roles:
        raise ApiError(403, "FORBIDDEN", f"role {principal.role} may not do this",
                       {"allowed_roles": [str(r) for r in roles]})
    return principal


def _role_guard(*roles: Role):
    async def guard(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        return require(principal, *roles)

    return guard


TRADING_ROLES = (Role.TRADER, Role.OPERATOR)

AnyPrincipal = Annotated[Principal, Depends(_principal)]
Operator = Annotated[Principal, Depends(_role_guard(Role.OPERATOR))]
TraderOrOperator = Annotated[Principal, Depends(_role_guard(*TRADING_ROLES))]


async def account_access(ports: Ports, principal: Principal, account_id: str) -> None:
    """Traders see only their granted accounts: 403 whether or not the account exists (nothing leaks)."""
    if principal.role is Role.TRADER and not await ports.principals.is_granted(principal.name, account_id):
        raise ApiError(403, "ACCOUNT_FORBIDDEN", "this key may not use that account", {"account": account_id})
OperatorOrAuditor = Annotated[Principal, Depends(_role_guard(Role.OPERATOR, Role.AUDITOR))]
