"""The price corridor across linked markets: each linked market's last trade price, converted into the
corridor's reference currency and reference tonne, is watched against the floor and ceiling.

A market leaving the corridor raises one alert (and the service runs the corridor's action); it is judged
again only after it has come back inside. For a corridor whose action is BAND the alert carries the band
override to send: the corridor in the market's own ticks (``band_low``, ``band_high``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from shared.corridor import Corridor, CorridorAction, market_limits, outside, reference_price
from shared.messages.operations import AlertRaised
from shared.messages.order_events import TradeExecuted
from shared.reference import Instrument, LinkageTerms

from services.oversight.detectors.observed import CORRIDOR_BREACH, Observed, alert


@dataclass(frozen=True, slots=True)
class Watch:
    """One market under one link's corridor: the market's currency, its unit's rate into the reference tonne and
    its tick."""

    link_id: str
    corridor: Corridor
    currency: str
    unit_rate: Fraction
    tick: int = 1


@dataclass(frozen=True, slots=True)
class Reading:
    """A market's latest converted price under a corridor, and where it stands."""

    link_id: str
    instrument: str
    price: int
    converted: Fraction
    breach: str | None
    at: int


class CorridorDetector:
    def __init__(self) -> None:
        self.readings: dict[tuple[str, str], Reading] = {}

    def observe(self, event: Observed, watches: Mapping[str, list[Watch]]) -> list[AlertRaised]:
        """``watches``: instrument → the corridors its market is under."""
        trade = event.message
        if not isinstance(trade, TradeExecuted):
            return []
        alerts = []
        for watch in watches.get(trade.instrument, []):
            converted = reference_price(watch.corridor, price=trade.price, currency=watch.currency,
                                        unit_rate=watch.unit_rate)
            if converted is None:
                continue
            key = (watch.link_id, trade.instrument)
            previous = self.readings.get(key)
            breach = outside(watch.corridor, converted)
            self.readings[key] = Reading(watch.link_id, trade.instrument, trade.price, converted, breach, event.at)
            if breach is None or (previous is not None and previous.breach is not None):
                continue
            details: dict[str, str | int] = {
                "link_id": watch.link_id, "breach": breach, "action": str(watch.corridor.action),
                "price": trade.price, "reference_price": f"{float(converted):.2f}",
                "currency": watch.corridor.currency, "floor": watch.corridor.floor, "ceiling": watch.corridor.ceiling}
            if watch.corridor.action is CorridorAction.BAND:
                details |= band_override(watch)
            alerts.append(alert(
                CORRIDOR_BREACH, key=f"{watch.link_id}:{trade.instrument}:{event.event_id}", severity="HIGH",
                subject=trade.instrument, evidence=[event.event_id], raised_at=event.at,
                summary=f"{trade.instrument} left link {watch.link_id}'s corridor ({breach.lower().replace('_', ' ')})",
                details=details))
        return alerts


def band_override(watch: Watch) -> dict[str, int]:
    """The BAND action's override: the band of the market's next sessions may not leave the corridor, converted
    back into the market's currency and ticks (the fx is known: the breach was judged with it)."""
    limits = market_limits(watch.corridor, currency=watch.currency, unit_rate=watch.unit_rate, tick=watch.tick)
    assert limits is not None
    return {"band_low": limits[0], "band_high": limits[1]}


def watches_of(links: list[LinkageTerms], instruments: list[Instrument]) -> dict[str, list[Watch]]:
    """Which markets each link's corridor covers: the instruments listed in the link's registries whose unit
    type the link admits."""
    found: dict[str, list[Watch]] = {}
    for link in links:
        if link.corridor is None or link.status == "TERMINATED":
            continue
        registries = {registry for pair in link.directions() for registry in pair}
        for instrument in instruments:
            if instrument.registry not in registries or instrument.unit.type not in link.unit_types:
                continue
            rate = Fraction(link.exchange_rate) if (
                link.kind != "MULTILATERAL" and instrument.registry == link.from_registry) else Fraction(1)
            found.setdefault(instrument.id, []).append(
                Watch(link.id, link.corridor, instrument.currency, rate, instrument.tick))
    return found
