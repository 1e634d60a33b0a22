"""From the linkage terms operators store (``shared.reference.LinkageTerms``) to the rule engine's directed rules.

A unilateral link gives one ``rules.LinkageAgreement``, a bilateral link two, a multilateral link one per
ordered pair of members. A calendar stated in a local time zone (``utc_offset``) is judged on local weekdays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from services.bridge import rules
from shared.reference import LinkageTerms

_WEEKDAYS = {
    "MON": rules.Weekday.MONDAY,
    "TUE": rules.Weekday.TUESDAY,
    "WED": rules.Weekday.WEDNESDAY,
    "THU": rules.Weekday.THURSDAY,
    "FRI": rules.Weekday.FRIDAY,
    "SAT": rules.Weekday.SATURDAY,
    "SUN": rules.Weekday.SUNDAY,
}
_MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class LocalCalendar:
    """A settlement calendar on the weekdays of a time zone ``offset_ms`` ahead of UTC.

    Quacks like ``rules.SettlementCalendar`` (``is_open``, ``next_opening``, ``is_immediate``): the rule engine
    judges in UTC, so business times are shifted into local time and the opening shifted back.
    """

    local: rules.SettlementCalendar
    offset_ms: int

    @property
    def is_immediate(self) -> bool:
        return self.local.is_immediate

    def is_open(self, time_ms: int) -> bool:
        return self.local.is_open(time_ms + self.offset_ms)

    def next_opening(self, time_ms: int) -> int:
        return self.local.next_opening(time_ms + self.offset_ms) - self.offset_ms


def offset_ms(utc_offset: str) -> int:
    """``"+09:00"`` → 32,400,000."""
    sign = -1 if utc_offset.startswith("-") else 1
    hours, minutes = utc_offset[1:].split(":")
    return sign * (int(hours) * 60 + int(minutes)) * _MINUTE_MS


def calendar_of(terms: LinkageTerms) -> rules.SettlementCalendar | LocalCalendar:
    """No weekdays: immediate. Weekdays: whole days, in UTC or in the link's stated offset."""
    if not terms.calendar.weekdays:
        return rules.SettlementCalendar.immediate()
    days = rules.SettlementCalendar.windows(weekdays={_WEEKDAYS[day] for day in terms.calendar.weekdays})
    shift = offset_ms(terms.calendar.utc_offset)
    return days if shift == 0 else LocalCalendar(days, shift)


def directed_rules(terms: LinkageTerms) -> tuple[rules.LinkageAgreement, ...]:
    """The directed rules of one stored link, with its status, terms, calendar and suspension policy."""
    common: dict[str, object] = {
        "effective_from": terms.effective_from,
        "effective_until": terms.effective_until,
        "status": rules.LinkStatus(terms.status),
        "suspended_at": terms.suspended_at if terms.status == "SUSPENDED" else None,
        "eligibility": rules.Eligibility(
            unit_types=frozenset(rules.UnitType(t) for t in terms.unit_types),
            min_vintage=terms.min_vintage,
            max_vintage=terms.max_vintage,
            origins=None if terms.origins is None else frozenset(terms.origins),
        ),
        "limits": rules.QuantityLimits(
            period_cap=terms.caps.per_period,
            account_period_cap=terms.caps.per_account,
            obligation_share=_fraction(terms.caps.share_of_obligation),
            local_origin_min_share=_fraction(terms.caps.local_origin_min_share),
        ),
        "conversion": rules.Conversion(
            exchange_rate=Fraction(terms.exchange_rate),
            discount=Fraction(terms.discount),
            delivered_type=None if terms.delivered_type is None else rules.UnitType(terms.delivered_type),
        ),
        "levies": rules.Levies(
            share_of_proceeds=Fraction(terms.levy_share), cancellation_share=Fraction(terms.cancellation_share)
        ),
        "corresponding_adjustment": terms.corresponding_adjustment,
        "calendar": calendar_of(terms),
        "suspension": rules.SuspensionPolicy(
            in_flight=rules.InFlightPolicy(terms.suspension.in_flight),
            mass_cancel_resting=terms.suspension.mass_cancel_resting,
        ),
    }
    if common["status"] is rules.LinkStatus.SUSPENDED and common["suspended_at"] is None:
        common["suspended_at"] = terms.effective_from  # a suspension stored without its moment holds for every trade
    if terms.kind == "MULTILATERAL":
        return rules.multilateral(link_id=terms.id, group=terms.id, members=terms.members, **common)
    assert terms.from_registry and terms.to_registry
    if terms.kind == "BILATERAL":
        return rules.bilateral(link_id=terms.id, registries=(terms.from_registry, terms.to_registry),
                               reverse_exchange_rate=_fraction(terms.reverse_exchange_rate), **common)
    return (rules.unilateral(link_id=terms.id, from_registry=terms.from_registry, to_registry=terms.to_registry,
                             **common),)


def all_rules(links: Iterable[LinkageTerms]) -> tuple[rules.LinkageAgreement, ...]:
    return tuple(rule for terms in links for rule in directed_rules(terms))


def _fraction(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)
