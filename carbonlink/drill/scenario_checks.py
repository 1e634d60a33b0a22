"""Cross-field rules of a scenario: references, uniqueness, currencies (corridors' too) and the phase timeline.

Each problem is a (location, message) pair; the location is the path of the offending field, which
the loader turns into a line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shared.money import minor_digits

if TYPE_CHECKING:
    from carbonlink.drill.scenario import Scenario

__all__ = ["cross_field_problems"]

Loc = tuple[str | int, ...]


def cross_field_problems(scenario: Scenario) -> list[tuple[Loc, str]]:
    """Every broken cross-field rule of ``scenario``, in document order of the sections."""
    return [
        *_duplicates(scenario),
        *_currencies(scenario),
        *_instrument_references(scenario),
        *_linkage_references(scenario),
        *_timeline(scenario),
        *_trader_references(scenario),
    ]


def _duplicates(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    sections: list[tuple[str, list[str]]] = [
        ("registries", [item.id for item in scenario.registries]),
        ("instruments", [item.id for item in scenario.instruments]),
        ("linkages", [item.id for item in scenario.linkages]),
        ("phases", [item.name for item in scenario.phases]),
    ]
    for section, keys in sections:
        field = "name" if section == "phases" else "id"
        seen: set[str] = set()
        for index, key in enumerate(keys):
            if key in seen:
                yield (section, index, field), f"duplicate {field} {key!r}"
            seen.add(key)
    seen_entities: set[str] = set()
    for index, group in enumerate(scenario.traders):
        specs = group.compliance.entities if group.compliance and group.compliance.entities else []
        for number, entity in enumerate(specs):
            if entity.id is not None:
                if entity.id in seen_entities:
                    yield ("traders", index, "compliance", "entities", number, "id"), f"duplicate id {entity.id!r}"
                seen_entities.add(entity.id)


def _currencies(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    if scenario.fx.get(scenario.reporting_currency) != 1:
        yield ("reporting_currency",), f"fx must give the reporting currency {scenario.reporting_currency} a rate of 1"
    for section, items in (("registries", scenario.registries), ("instruments", scenario.instruments)):
        for index, item in enumerate(items):
            if item.currency not in scenario.fx:
                yield (section, index, "currency"), f"unknown currency {item.currency!r}: not in fx"
    for index, linkage in enumerate(scenario.linkages):
        corridor = linkage.corridor
        if corridor is None:
            continue
        if corridor.currency not in scenario.fx:
            yield ("linkages", index, "corridor", "currency"), f"unknown currency {corridor.currency!r}: not in fx"
            continue
        for field in ("floor", "ceiling"):
            if -getattr(corridor, field).as_tuple().exponent > minor_digits(corridor.currency):
                yield (("linkages", index, "corridor", field),
                       f"more decimals than {corridor.currency} has ({minor_digits(corridor.currency)})")


def _instrument_references(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    registries = {registry.id: registry for registry in scenario.registries}
    for index, instrument in enumerate(scenario.instruments):
        registry = registries.get(instrument.registry)
        if registry is None:
            yield ("instruments", index, "registry"), f"unknown registry {instrument.registry!r}"
        elif registry.currency != instrument.currency:
            yield ("instruments", index, "currency"), f"registry {registry.id} trades in {registry.currency}"
        if instrument.unit.origin not in registries:
            yield ("instruments", index, "unit", "origin"), f"unknown registry {instrument.unit.origin!r}"


def _linkage_references(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    registries = {registry.id for registry in scenario.registries}
    for index, linkage in enumerate(scenario.linkages):
        if linkage.group is not None:
            for number, member in enumerate(linkage.group):
                if member not in registries:
                    yield ("linkages", index, "group", number), f"unknown registry {member!r}"
        else:
            for field, member in (("from", linkage.from_), ("to", linkage.to)):
                if member not in registries:
                    yield ("linkages", index, field), f"unknown registry {member!r}"
        for number, origin in enumerate(linkage.origins or []):
            if origin not in registries:
                yield ("linkages", index, "origins", number), f"unknown registry {origin!r}"


def _timeline(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    linkages = {linkage.id for linkage in scenario.linkages}
    previous = None
    for index, phase in sorted(enumerate(scenario.phases), key=lambda item: item[1].start_day):
        if previous is not None:
            before_index, before = previous
            before_end = before.start_day + scenario.phase_days(before)
            if phase.start_day < before_end:
                yield (
                    ("phases", index, "start_day"),
                    f"phase {phase.name!r} starts on day {phase.start_day}, "
                    f"before phase {before.name!r} ends (day {before_end})",
                )
        previous = (index, phase)
        for key in phase.links:
            if key not in linkages:
                yield ("phases", index, "links", key), f"unknown linkage {key!r}"


def _trader_references(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    instruments = {instrument.id for instrument in scenario.instruments}
    seen: set[str] = set()
    for index, group in enumerate(scenario.traders):
        if group.instrument not in instruments:
            yield ("traders", index, "instrument"), f"unknown instrument {group.instrument!r}"
        elif group.instrument in seen:
            yield ("traders", index, "instrument"), f"duplicate trader group for {group.instrument!r}"
        seen.add(group.instrument)
