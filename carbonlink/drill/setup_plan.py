"""A scenario as the operator API calls that create it, pure: who trades (the roster) and in what order
registries, instruments, linkage agreements, keys, accounts, limits, cash and units are set up.

Every call is data (method, path, JSON body), so the plan can be checked without a server and a
scenario is validated in full before the first call goes out. A registry knows a covered entity's
obligation before it trades: each entity's expected obligation (its baseline emissions) is recorded
for the bridge's compliance periods (the UTC calendar years of business time, which is wall time), so
the bridge's obligation-share limits count against a real obligation rather than zero. Link terms per phase live here too:
``restricted`` applies the phase's overrides, ``full`` removes every cap, anything else suspends.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from carbonlink.drill.entities import ComplianceEntity, compliance_entities
from carbonlink.drill.scenario import Caps, Corridor, Linkage, LinkState, Phase, Scenario
from shared.money import format_fraction, from_minor, minor_digits, to_minor

__all__ = [
    "ApiCall",
    "Member",
    "allocation_calls",
    "bridge_periods",
    "dealer_units",
    "link_terms",
    "minor_price",
    "obligation_calls",
    "roster",
    "setup_plan",
    "unit_asset",
]

CASH_MULTIPLE = 4  # compliance entities get cash for 4× their required tonnes at the reference price
DEALER_LOTS = 20  # market makers and noise traders: cash and units for this many of their orders


@dataclass(frozen=True)
class ApiCall:
    method: str
    path: str
    body: dict[str, Any]
    key_for: str | None = None  # a key creation: the answer's api_key belongs to this principal


@dataclass(frozen=True)
class Member:
    """One simulated trader: kind ``compliance``, ``maker`` or ``noise``, its principal and account."""

    id: str
    kind: str
    instrument: str
    registry: str
    principal: str
    account: str
    entity: ComplianceEntity | None = None


def unit_asset(scenario: Scenario, instrument_id: str) -> str:
    unit = scenario.instrument(instrument_id).unit
    return f"U:{unit.origin}:{unit.type}:{unit.vintage}"


def minor_price(scenario: Scenario, instrument_id: str) -> int:
    instrument = scenario.instrument(instrument_id)
    return to_minor(str(instrument.reference_price), instrument.currency)


def roster(scenario: Scenario, *, tag: str = "") -> list[Member]:
    """Every simulated trader of the scenario; ``tag`` prefixes principals and account names (one run's)."""
    members = [
        Member(entity.id, "compliance", entity.instrument, entity.registry, f"{tag}{entity.id}",
               f"{entity.registry}/{tag}{entity.id}", entity)
        for entity in compliance_entities(scenario)
    ]
    for group in scenario.traders:
        registry = scenario.instrument(group.instrument).registry
        for kind, short, spec in (("maker", "mm", group.market_makers), ("noise", "nz", group.noise)):
            for number in range(1, (spec.count if spec else 0) + 1):
                key = f"{group.instrument}-{short}{number}"
                members.append(Member(key, kind, group.instrument, registry, f"{tag}{key}", f"{registry}/{tag}{key}"))
    return members


def _reference(*parts: str) -> str:
    return "drill-" + hashlib.sha256(":".join(parts).encode()).hexdigest()[:24]


def _fraction(value: Fraction | None) -> str | None:
    return None if value is None else format_fraction(value)


def _caps(caps: Caps) -> dict[str, Any]:
    return {"per_period": caps.per_period, "per_account": caps.per_account,
            "share_of_obligation": _fraction(caps.share_of_obligation)}


def link_terms(scenario: Scenario, linkage: Linkage, state: LinkState) -> dict[str, Any]:
    """The LinkageTerms body for ``linkage`` in ``state``."""
    caps, discount, rate = linkage.caps, linkage.discount, linkage.exchange_rate
    reverse = linkage.reverse_exchange_rate
    if state.state == "restricted":
        if state.caps is not None:
            caps = caps.model_copy(update=state.caps.model_dump(exclude_unset=True))
        discount = state.discount if state.discount is not None else discount
        if state.exchange_rate is not None or state.reverse_exchange_rate is not None:
            rate = state.exchange_rate if state.exchange_rate is not None else rate
            reverse = state.reverse_exchange_rate
    elif state.state == "full":
        caps = Caps()
    body: dict[str, Any] = {
        "id": linkage.id,
        "kind": linkage.kind.upper(),
        "status": "ACTIVE" if state.state in ("restricted", "full") else "SUSPENDED",
        "unit_types": list(linkage.unit_types),
        "caps": _caps(caps),
        "exchange_rate": format_fraction(rate),
        "reverse_exchange_rate": None if linkage.kind != "bilateral" else format_fraction(1 / rate if reverse is None else reverse),
        "discount": format_fraction(discount),
        "levy_share": format_fraction(linkage.levy_share),
        "cancellation_share": format_fraction(linkage.cancellation_share),
        "corresponding_adjustment": linkage.corresponding_adjustment,
        "suspension": {"in_flight": "REFUSE" if linkage.suspension.in_transit == "return" else "SETTLE",
                       "mass_cancel_resting": linkage.suspension.resting_orders == "cancel"},
    }
    if linkage.group is not None:
        body["members"] = list(linkage.group)
    else:
        body["from_registry"], body["to_registry"] = linkage.from_, linkage.to
    if linkage.vintages is not None:
        body["min_vintage"], body["max_vintage"] = linkage.vintages.min, linkage.vintages.max
    if linkage.origins is not None:
        body["origins"] = list(linkage.origins)
    if linkage.calendar is not None:
        to = linkage.to or linkage.registries[0]
        body["calendar"] = {"weekdays": list(linkage.calendar.weekdays), "utc_offset": scenario.registry(to).utc_offset}
    if linkage.corridor is not None:
        body["corridor"] = _corridor(scenario, linkage.corridor)
    return body


def _corridor(scenario: Scenario, corridor: Corridor) -> dict[str, Any]:
    """The agreement's ``corridor`` (``shared.corridor.Corridor``): limits in the currency's minor units, and the
    scenario's fx restated as units of the corridor's currency per unit of each other currency."""
    per_reference = scenario.fx[corridor.currency]
    return {"currency": corridor.currency, "action": corridor.action,
            "floor": to_minor(str(corridor.floor), corridor.currency),
            "ceiling": to_minor(str(corridor.ceiling), corridor.currency),
            "fx": {currency: format_fraction(rate / per_reference) for currency, rate in sorted(scenario.fx.items())
                   if currency != corridor.currency}}


def _foreign_instruments(scenario: Scenario, registry: str) -> list[str]:
    """Instruments whose units some linkage may bring into ``registry``."""
    origins = {origin for linkage in scenario.linkages for origin, to, _ in linkage.directions() if to == registry}
    return [i.id for i in scenario.instruments if i.registry in origins]


def _cash_calls(scenario: Scenario, member: Member) -> list[ApiCall]:
    needs: dict[str, int] = {}
    if member.entity is not None:
        tonnes = max(member.entity.required, 1) * CASH_MULTIPLE
        for instrument_id in [member.instrument, *_foreign_instruments(scenario, member.registry)]:
            currency = scenario.instrument(instrument_id).currency
            needs[currency] = max(needs.get(currency, 0), tonnes * minor_price(scenario, instrument_id) * 2)
    else:
        group = next(g for g in scenario.traders if g.instrument == member.instrument)
        spec = group.market_makers if member.kind == "maker" else group.noise
        assert spec is not None
        currency = scenario.instrument(member.instrument).currency
        needs[currency] = spec.size * DEALER_LOTS * minor_price(scenario, member.instrument) * 2
    return [
        ApiCall("POST", "/v1/admin/deposits", {"account": member.account, "currency": currency,
                                               "amount": from_minor(amount, currency),
                                               "reference": _reference(member.account, currency)})
        for currency, amount in needs.items()
    ]


def _unit_body(scenario: Scenario, member: Member, quantity: int, reference: str) -> dict[str, Any]:
    unit = scenario.instrument(member.instrument).unit
    return {"account": member.account, "origin": unit.origin, "unit_type": unit.type, "vintage": unit.vintage,
            "quantity": quantity, "reference": reference}


def allocation_calls(scenario: Scenario, members: list[Member], phase: Phase) -> list[ApiCall]:
    """Each compliance entity's free allocation for the compliance period ``phase``."""
    return [
        ApiCall("POST", "/v1/admin/allocations",
                _unit_body(scenario, m, m.entity.allocation, _reference(m.account, "allocation", phase.name)))
        for m in members
        if m.entity is not None and m.entity.allocation > 0
    ]


def bridge_periods(start_ms: int, end_ms: int) -> list[str]:
    """The bridge's compliance periods (UTC calendar years) that business times from start to end fall in."""
    first, last = (datetime.fromtimestamp(ms // 1000, tz=UTC).year for ms in (start_ms, end_ms))
    return [str(year) for year in range(first, last + 1)]


def obligation_calls(members: list[Member], periods: list[str]) -> list[ApiCall]:
    """Each compliance entity's expected obligation (baseline emissions) for each of the bridge's ``periods``."""
    return [
        ApiCall("POST", "/v1/admin/emissions", {"account": m.account, "period": period, "tonnes": m.entity.baseline})
        for m in members if m.entity is not None
        for period in periods
    ]


def setup_plan(scenario: Scenario, members: list[Member], *, periods: list[str] = ()) -> list[ApiCall]:
    """The operator calls that create the scenario (before its first phase), in dependency order;
    ``periods``: the bridge periods to record the entities' obligations for (see :func:`bridge_periods`)."""
    first = min(scenario.phases, key=lambda phase: phase.start_day)
    calls = [
        ApiCall("POST", "/v1/admin/registries", {
            "id": r.id, "name": r.name, "currency": r.currency,
            "offset_share": _fraction(r.offset_limit), "foreign_share": _fraction(r.foreign_limit)})
        for r in scenario.registries
    ]
    for i in scenario.instruments:
        minor_digits(i.currency)  # an unknown currency fails here, before anything is created
        calls.append(ApiCall("POST", "/v1/admin/instruments", {
            "id": i.id, "registry": i.registry, "currency": i.currency,
            "unit": {"origin": i.unit.origin, "type": i.unit.type, "vintage": i.unit.vintage},
            "tick": i.tick, "lot": i.lot, "min_quantity": i.min_qty, "max_quantity": i.max_qty,
            "band": _fraction(i.band), "reference_price": minor_price(scenario, i.id),
            "fees": {"maker_bps": i.fees.maker_bps, "taker_bps": i.fees.taker_bps}}))
    calls += [ApiCall("POST", "/v1/admin/links", link_terms(scenario, linkage, scenario.link_state(first, linkage)))
              for linkage in scenario.linkages]
    for member in members:
        calls.append(ApiCall("POST", "/v1/admin/keys", {"principal": member.principal, "role": "trader"},
                             key_for=member.principal))
        calls.append(ApiCall("POST", "/v1/admin/accounts", {
            "id": member.account, "type": "COMPLIANCE" if member.entity else "HOLDING",
            "holder": member.id, "principals": [member.principal]}))
        calls += _cash_calls(scenario, member)
        limit = scenario.registry(member.registry).holding_limit
        if member.entity is not None and limit is not None:
            tonnes = member.entity.allocation + limit.allocation_plus if limit.allocation_plus is not None else limit.wci.tonnes  # type: ignore[union-attr]
            calls.append(ApiCall("POST", "/v1/admin/holding-limits", {
                "account": member.account, "asset": unit_asset(scenario, member.instrument),
                "limit": tonnes}))
        if member.entity is None:
            group = next(g for g in scenario.traders if g.instrument == member.instrument)
            spec = group.market_makers if member.kind == "maker" else group.noise
            assert spec is not None
            units = spec.size * DEALER_LOTS // 2
            calls.append(ApiCall("POST", "/v1/admin/issuances",
                                 _unit_body(scenario, member, units, _reference(member.account, "issue"))))
    calls += allocation_calls(scenario, members, first)
    calls += obligation_calls(members, list(periods))
    return calls


def dealer_units(scenario: Scenario, member: Member) -> int:
    """Units a market maker or noise trader starts with (as issued by the plan)."""
    group = next(g for g in scenario.traders if g.instrument == member.instrument)
    spec = group.market_makers if member.kind == "maker" else group.noise
    return spec.size * DEALER_LOTS // 2 if spec else 0
