"""Public linkage transparency under /v1 (no key): the agreements with their live quota use, the net flows
across each border, the corresponding adjustments of a period, and the levy and cancellation accounts.

Everything is read from the read model the bridge maintains with each approved delivery
(``shared.read_models.linkage``) and from the ledger; nothing here writes.
"""

from __future__ import annotations

from itertools import combinations
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from services.order_entry.deps import PortsDep
from services.order_entry.errors import error_responses, not_found
from shared.business_clock import business_now
from shared.ledger import AccountType, system_account
from shared.ledger.views import text, text_map
from shared.periods import calendar_year
from shared.read_models import linkage
from shared.read_models.linkage import PairFlowView
from shared.reference import Calendar, Caps, LinkageTerms, SuspensionPolicy

router = APIRouter(prefix="/v1", tags=["linkage transparency"], responses=error_responses(404, 422, 503))

LinkPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Period = Annotated[int | None, Query(ge=1990, le=2100, description="compliance period (UTC year); default: now")]


class QuotaView(BaseModel):
    """A direction's period cap, how much of it approved deliveries have used (delivered tonnes) and how much
    resting cross-border orders and their trades awaiting the bridge have reserved; what remains is free for new
    orders."""

    period: int
    cap: int | None
    used: int
    reserved: int = 0
    remaining: int | None


class DirectionView(BaseModel):
    from_registry: str
    to_registry: str
    factor: str = Field(description="receiving units per unit sent this way: the direction's exchange rate × (1 − discount)")
    quota: QuotaView


class EligibilityView(BaseModel):
    unit_types: list[str]
    min_vintage: int | None
    max_vintage: int | None
    origins: list[str] | None = Field(description="null: only units issued by the sending registry")


class ConversionView(BaseModel):
    exchange_rate: str
    reverse_exchange_rate: str | None = Field(
        default=None, description="bilateral links: the rate back from to_registry (1/exchange_rate unless agreed)")
    discount: str
    factor: str = Field(description="receiving units per sent unit: exchange_rate × (1 − discount)")
    delivered_type: str | None


class LevyView(BaseModel):
    share_of_proceeds: str
    cancellation_share: str


class LinkView(BaseModel):
    """A linkage agreement as the public sees it, with live quota utilisation per direction."""

    id: str
    kind: str
    status: str
    suspended_at: int | None
    effective_from: int
    effective_until: int | None
    directions: list[DirectionView]
    eligibility: EligibilityView
    limits: Caps
    conversion: ConversionView
    levies: LevyView
    corresponding_adjustment: bool
    calendar: Calendar
    suspension: SuspensionPolicy


class AdjustmentsView(BaseModel):
    """Corresponding adjustments of a period: registry → signed tonnes (+ origin, − receiver); they sum to zero."""

    period: int
    adjustments: dict[str, int]


class LevyAccountsView(BaseModel):
    """Units (available + reserved, by asset code) in a registry's LEVY and CANCELLATION accounts."""

    registry: str
    levy_account: str
    levy: dict[str, int]
    cancellation_account: str
    cancellation: dict[str, int]


def link_view(terms: LinkageTerms, *, period: int, used: dict[tuple[str, str], int],
              reserved: dict[tuple[str, str], int] | None = None) -> LinkView:
    """The view of stored terms, given the period's delivered and reserved tonnes per direction of this link."""
    cap = terms.caps.per_period
    directions = []
    for from_registry, to_registry in terms.directions():
        taken = used.get((from_registry, to_registry), 0)
        held = (reserved or {}).get((from_registry, to_registry), 0)
        factor = terms.conversion_factor_for(from_registry, to_registry)
        directions.append(DirectionView(from_registry=from_registry, to_registry=to_registry, factor=str(factor),
                                        quota=QuotaView(period=period, cap=cap, used=taken, reserved=held,
                                                        remaining=None if cap is None else max(0, cap - taken - held))))
    return LinkView(
        id=terms.id, kind=terms.kind, status=terms.status, suspended_at=terms.suspended_at,
        effective_from=terms.effective_from, effective_until=terms.effective_until, directions=directions,
        eligibility=EligibilityView(unit_types=list(terms.unit_types), min_vintage=terms.min_vintage,
                                    max_vintage=terms.max_vintage,
                                    origins=None if terms.origins is None else list(terms.origins)),
        limits=terms.caps,
        conversion=ConversionView(exchange_rate=terms.exchange_rate, discount=terms.discount,
                                  reverse_exchange_rate=None if terms.kind != "BILATERAL" else str(
                                      terms.exchange_rate_for(terms.to_registry, terms.from_registry)),
                                  factor=str(terms.conversion_factor_for(*terms.directions()[0])),
                                  delivered_type=terms.delivered_type),
        levies=LevyView(share_of_proceeds=terms.levy_share, cancellation_share=terms.cancellation_share),
        corresponding_adjustment=terms.corresponding_adjustment, calendar=terms.calendar, suspension=terms.suspension,
    )


async def _period(ports: PortsDep, period: int | None) -> int:
    """The bridge counts per UTC calendar year of business time (default: the exchange's business clock)."""
    return calendar_year(await business_now(ports.ctx.redis)) if period is None else period


async def _views(ports: PortsDep, links: list[LinkageTerms], period: int | None) -> list[LinkView]:
    period = await _period(ports, period)
    fields = [(terms.id, pair) for terms in links for pair in terms.directions()]
    names = [linkage.link_field(link_id, *pair) for link_id, pair in fields]
    names += [linkage.reserved_field(name) for name in names]
    values = await ports.ctx.redis.hmget(linkage.quota_key(period), names) if names else []
    used: dict[str, dict[tuple[str, str], int]] = {}
    reserved: dict[str, dict[tuple[str, str], int]] = {}
    for (link_id, pair), value, held in zip(fields, values, values[len(fields):]):
        used.setdefault(link_id, {})[pair] = 0 if value is None else int(text(value))
        reserved.setdefault(link_id, {})[pair] = 0 if held is None else int(text(held))
    return [link_view(terms, period=period, used=used.get(terms.id, {}), reserved=reserved.get(terms.id, {}))
            for terms in links]


@router.get("/links", response_model=list[LinkView])
async def links(ports: PortsDep, period: Period = None) -> list[LinkView]:
    """Every linkage agreement: kind, status, limits, conversion, levies and the period's quota utilisation."""
    return await _views(ports, await ports.reference.links(), period)


@router.get("/links/flows", response_model=list[PairFlowView])
async def link_flows(ports: PortsDep) -> list[PairFlowView]:
    """Net cross-border flows per registry pair (each pair once, registries in alphabetical order)."""
    counted = linkage.flows_from_counters(text_map(await ports.ctx.redis.hgetall(linkage.NETFLOW)))
    registries = sorted({registry for pair in counted for registry in pair})
    return [linkage.pair_view(counted, a, b) for a, b in combinations(registries, 2)
            if (a, b) in counted or (b, a) in counted]


@router.get("/links/{link_id}", response_model=LinkView)
async def link(link_id: LinkPath, ports: PortsDep, period: Period = None) -> LinkView:
    terms = await ports.reference.link(link_id)
    if terms is None:
        raise not_found("link", link_id)
    [view] = await _views(ports, [terms], period)
    return view


@router.get("/adjustments", response_model=AdjustmentsView)
async def adjustments(ports: PortsDep, period: Period = None) -> AdjustmentsView:
    """Corresponding adjustments recorded for a period (Article 6: + for the origin, − for the receiver)."""
    period = await _period(ports, period)
    counters = text_map(await ports.ctx.redis.hgetall(linkage.adjustments_key(period)))
    return AdjustmentsView(period=period, adjustments=linkage.adjustments_from(counters))


@router.get("/levies", response_model=list[LevyAccountsView])
async def levies(ports: PortsDep) -> list[LevyAccountsView]:
    """What each registry's LEVY (share of proceeds) and CANCELLATION accounts hold."""
    out = []
    for registry in await ports.reference.registries():
        levy_account = system_account(registry.id, AccountType.LEVY)
        cancellation_account = system_account(registry.id, AccountType.CANCELLATION)
        out.append(LevyAccountsView(
            registry=registry.id, levy_account=levy_account, levy=await _units(ports, levy_account),
            cancellation_account=cancellation_account, cancellation=await _units(ports, cancellation_account)))
    return out


async def _units(ports: PortsDep, account: str) -> dict[str, int]:
    held = await ports.ledger.balances(account)
    return {asset: available + reserved for asset, (available, reserved) in held.items() if asset.startswith("U:")}
