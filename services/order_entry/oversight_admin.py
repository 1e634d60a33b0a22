"""Operator routes for market oversight under /v1/admin: the surveillance alerts (operators and auditors),
ownership groups (which accounts share a beneficial owner), the position publication threshold per registry
and the purchase limit per account. Layout in shared.oversight_keys; oversight writes the alerts."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from services.order_entry.deps import Operator, OperatorOrAuditor, PortsDep
from services.order_entry.errors import error_responses, not_found
from shared import oversight_keys as keys
from shared.messages.operations import AlertRaised
from shared.redis_text import text
from shared.reference import AccountId
from shared.surveillance import ThresholdOverrides
from shared.topics import ORDERS_EVENTS

router = APIRouter(prefix="/v1/admin", tags=["admin: oversight"], responses=error_responses(401, 403, 404, 422, 429))

Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertPage(BaseModel):
    alerts: list[AlertRaised]
    next_cursor: str | None = Field(description="pass as `before` for older alerts")
    judged_until: int | None = Field(description="business time up to which oversight has judged the order events")


class OwnershipGroup(_Body):
    """A beneficial owner and the accounts it controls (replaces the group's earlier membership)."""

    accounts: list[AccountId] = Field(max_length=1000)


class OwnershipGroupView(BaseModel):
    group: str
    accounts: list[str]


class OwnershipGroups(BaseModel):
    groups: list[OwnershipGroupView]
    in_effect: bool = Field(description="whether surveillance already judges new events with these groups")


class Tonnes(_Body):
    tonnes: int = Field(ge=0, le=10**12)


class LimitView(BaseModel):
    subject: str
    tonnes: int


@router.get("/alerts", response_model=AlertPage)
async def list_alerts(
    _: OperatorOrAuditor, ports: PortsDep,
    code: Annotated[str | None, Query(max_length=40, description="only alerts with this code")] = None,
    before: Annotated[int | None, Query(ge=0, description="only alerts raised before this business time")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertPage:
    """Surveillance alerts, newest first: code, severity, subject, owner and the evidence (event ids)."""
    redis = ports.ctx.redis
    found: list[AlertRaised] = []
    upper = f"({before}" if before is not None else "+inf"
    offset = 0
    while len(found) < limit:
        ids = await redis.zrevrangebyscore(keys.ALERT_INDEX, upper, "-inf", start=offset, num=limit)
        if not ids:
            break
        offset += len(ids)
        for raw in await redis.hmget(keys.ALERTS, ids):
            if raw is None:
                continue
            alert = AlertRaised.model_validate(orjson.loads(raw))
            if code is None or alert.code == code:
                found.append(alert)
    found = found[:limit]
    more = bool(found) and len(found) == limit
    judged = await redis.hget(keys.PROGRESS, ORDERS_EVENTS.name)
    return AlertPage(alerts=found, next_cursor=str(found[-1].raised_at) if more else None,
                     judged_until=None if judged is None else int(judged))


@router.put("/ownership-groups/{group}", response_model=OwnershipGroupView)
async def put_ownership_group(group: Name, body: OwnershipGroup, _: Operator, ports: PortsDep) -> OwnershipGroupView:
    """Record that one beneficial owner controls these accounts; surveillance sees them as one owner."""
    for account in body.accounts:
        if await ports.reference.account(account) is None:
            raise not_found("account", account)
    redis = ports.ctx.redis
    current = {text(k): text(v) for k, v in (await redis.hgetall(keys.OWNERSHIP_GROUPS)).items()}
    pipe = redis.pipeline(transaction=True)
    for account, owner in current.items():
        if owner == group and account not in body.accounts:
            pipe.hdel(keys.OWNERSHIP_GROUPS, account)
    if body.accounts:
        pipe.hset(keys.OWNERSHIP_GROUPS, mapping={account: group for account in body.accounts})
    pipe.incr(keys.OWNERSHIP_VERSION)
    await pipe.execute()
    return OwnershipGroupView(group=group, accounts=sorted(set(body.accounts)))


@router.get("/ownership-groups", response_model=OwnershipGroups)
async def list_ownership_groups(_: OperatorOrAuditor, ports: PortsDep) -> OwnershipGroups:
    pipe = ports.ctx.redis.pipeline(transaction=True)
    pipe.hgetall(keys.OWNERSHIP_GROUPS)
    pipe.mget(keys.OWNERSHIP_VERSION, keys.OWNERSHIP_APPLIED)
    members, (version, applied) = await pipe.execute()
    groups: dict[str, list[str]] = {}
    for account, owner in members.items():
        groups.setdefault(text(owner), []).append(text(account))
    return OwnershipGroups(groups=[OwnershipGroupView(group=g, accounts=sorted(a)) for g, a in sorted(groups.items())],
                           in_effect=int(applied or 0) >= int(version or 0))


@router.put("/position-thresholds/{registry}", response_model=LimitView)
async def put_position_threshold(registry: Name, body: Tonnes, _: Operator, ports: PortsDep) -> LimitView:
    """Publish holdings of a unit class above ``tonnes`` for accounts of this registry (Beijing: 0.5 Mt)."""
    if await ports.reference.registry(registry) is None:
        raise not_found("registry", registry)
    await ports.ctx.redis.hset(keys.POSITION_THRESHOLDS, registry, body.tonnes)
    return LimitView(subject=registry, tonnes=body.tonnes)


@router.put("/purchase-limits/{registry}/{name}", response_model=LimitView)
async def put_purchase_limit(registry: Name, name: Name, body: Tonnes, _: Operator, ports: PortsDep) -> LimitView:
    """How many tonnes the account may buy per purchase period (a UTC day), checked before each buy order."""
    account = f"{registry}/{name}"
    if await ports.reference.account(account) is None:
        raise not_found("account", account)
    await ports.ctx.redis.hset(keys.PURCHASE_LIMITS, account, body.tonnes)
    return LimitView(subject=account, tonnes=body.tonnes)


@router.put("/surveillance-thresholds", response_model=ThresholdOverrides)
async def put_thresholds(body: ThresholdOverrides, _: Operator, ports: PortsDep) -> ThresholdOverrides:
    """Set surveillance thresholds over oversight's configured ones (those left out keep their value)."""
    await ports.ctx.redis.set(keys.THRESHOLDS, body.model_dump_json(exclude_none=True))
    return body


@router.get("/surveillance-thresholds", response_model=ThresholdOverrides)
async def get_thresholds(_: OperatorOrAuditor, ports: PortsDep) -> ThresholdOverrides:
    raw = await ports.ctx.redis.get(keys.THRESHOLDS)
    return ThresholdOverrides() if raw is None else ThresholdOverrides.model_validate_json(raw)
