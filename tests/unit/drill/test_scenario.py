"""Specification of scenario files: the shipped ones load, and a malformed one is refused naming its line."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from carbonlink.drill.entities import compliance_entities
from carbonlink.drill.equilibrium import solve
from carbonlink.drill.phase_problems import phase_problems
from carbonlink.drill.scenario import ScenarioError, load_scenario, parse_scenario
from carbonlink.drill.setup_plan import link_terms
from shared.corridor import Corridor, CorridorAction
from shared.reference import LinkageTerms

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
TWO_MARKETS = (SCENARIOS / "two-markets.yaml").read_text()


def line_of(text: str, fragment: str, *, after: str = "") -> int:
    """1-based line of the first ``fragment`` at or after the first ``after``."""
    start = text.index(after) if after else 0
    return text[: text.index(fragment, start)].count("\n") + 1


def refused(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="bad.yaml")
    return caught.value


@pytest.mark.parametrize("name", ["pilot-cities", "two-markets", "two-markets-capped", "two-markets-corridor"])
def test_every_shipped_scenario_loads_and_every_phase_solves_exactly(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    for problem in phase_problems(scenario):
        assert solve(problem.markets, problem.arcs).exact


def test_the_default_scenario_has_the_seven_pilot_markets_and_a_delink_phase() -> None:
    scenario = load_scenario(SCENARIOS / "pilot-cities.yaml")
    assert {r.id for r in scenario.registries} == {"CN-BJ", "CN-SH", "CN-GD", "CN-SZ", "JP-TYO", "JP-STM", "KR"}
    korea = scenario.instrument("KR-KAU-2025")
    assert korea.max_qty == 100_000 and korea.band == Fraction(1, 10)
    assert [s.kind for s in korea.sessions] == ["opening_call", "continuous", "closing_call"]
    assert scenario.registry("CN-BJ").holding_limit.allocation_plus == 1_000_000
    delink = next(p for p in scenario.phases if p.name == "delink")
    assert delink.links["CN-KR"].state == "suspended"
    assert 20 <= len(compliance_entities(scenario)) <= 60


def test_a_phase_that_suspends_a_link_says_the_benchmark_ignores_the_hours_before_the_suspension() -> None:
    notes = {problem.phase: problem.notes for problem in phase_problems(load_scenario(SCENARIOS / "pilot-cities.yaml"))}
    assert [note for note in notes["delink"] if note.startswith("CN-KR: active until its suspension")]
    assert not [note for phase in ("autarky", "restricted", "full", "recovery") for note in notes[phase]
                if "suspension" in note]


def test_generated_entities_are_the_same_on_every_load() -> None:
    first = compliance_entities(load_scenario(SCENARIOS / "pilot-cities.yaml"))
    assert first == compliance_entities(load_scenario(SCENARIOS / "pilot-cities.yaml"))


def test_the_two_market_scenarios_reproduce_the_worked_example_at_scale() -> None:
    full = [solve(p.markets, p.arcs) for p in phase_problems(load_scenario(SCENARIOS / "two-markets.yaml"))]
    capped = [solve(p.markets, p.arcs) for p in phase_problems(load_scenario(SCENARIOS / "two-markets-capped.yaml"))]
    assert [full[0].markets[m].price for m in "AB"] == [40, 10]
    assert [full[1].markets[m].price for m in "AB"] == [20, 20]
    assert [capped[1].markets[m].price for m in "AB"] == [30, 15]
    assert capped[1].efficiency == Fraction(3, 4)


def test_exact_decimals_never_become_floats() -> None:
    scenario = parse_scenario(TWO_MARKETS.replace('spread: "0.02"', "spread: 0.1", 1))
    assert scenario.traders[0].market_makers.spread == Fraction(1, 10)


def test_an_unknown_registry_in_a_link_is_refused_at_its_line() -> None:
    error = refused(TWO_MARKETS.replace("    from: B\n", "    from: Z\n"))
    assert [(p.line, p.field) for p in error.problems] == [(line_of(TWO_MARKETS, "from: B"), "linkages[0].from")]
    assert "unknown registry 'Z'" in str(error) and str(error).startswith(f"bad.yaml:{line_of(TWO_MARKETS, 'from: B')}:")


def test_a_negative_allocation_is_refused_at_its_line() -> None:
    text = TWO_MARKETS.replace("allocation: 9800", "allocation: -5", 1)
    error = refused(text)
    assert [(p.line, p.field) for p in error.problems] == [
        (line_of(text, "allocation: -5"), "traders[0].compliance.entities[0].allocation")
    ]


def test_overlapping_phases_are_refused_at_the_later_phase() -> None:
    text = TWO_MARKETS.replace("start_day: 2", "start_day: 1")
    error = refused(text)
    assert [(p.line, p.field) for p in error.problems] == [(line_of(text, "start_day: 1"), "phases[1].start_day")]
    assert "before phase 'autarky' ends" in error.problems[0].message


def test_a_share_above_one_hundred_percent_is_refused_at_its_line() -> None:
    text = TWO_MARKETS.replace("    unit_types: [ALLOWANCE]\n", "    unit_types: [ALLOWANCE]\n    levy_share: '1.2'\n")
    error = refused(text)
    assert [(p.line, p.field) for p in error.problems] == [(line_of(text, "levy_share"), "linkages[0].levy_share")]


def test_a_cap_share_above_one_hundred_percent_is_refused_at_its_line() -> None:
    text = TWO_MARKETS.replace(
        "    unit_types: [ALLOWANCE]\n", "    unit_types: [ALLOWANCE]\n    caps:\n      share_of_obligation: 150/100\n"
    )
    error = refused(text)
    assert [p.line for p in error.problems] == [line_of(text, "share_of_obligation")]
    assert "between 0 and 1" in error.problems[0].message


def test_an_unknown_currency_is_refused_at_its_line() -> None:
    text = TWO_MARKETS.replace("    currency: CNY\n", "    currency: JPY\n", 1)
    error = refused(text)
    assert (line_of(text, "currency: JPY"), "registries[0].currency") in [(p.line, p.field) for p in error.problems]
    assert "not in fx" in str(error)


def test_duplicate_ids_are_refused_at_the_second_one() -> None:
    text = TWO_MARKETS.replace("  - id: B\n", "  - id: A\n")
    error = refused(text)
    assert (line_of(text, "id: A", after="name: Market A\n"), "registries[1].id") in [
        (p.line, p.field) for p in error.problems
    ]


def test_a_missing_field_is_refused_at_its_parent() -> None:
    text = TWO_MARKETS.replace("    lot: 1\n", "", 1)
    error = refused(text)
    assert [(p.line, p.field) for p in error.problems] == [(line_of(text, "- id: A-ALW-2025"), "instruments[0].lot")]


def test_an_unknown_linkage_in_a_phase_is_refused_at_its_line() -> None:
    text = TWO_MARKETS.replace("      A-B: full", "      A-C: full")
    assert [p.line for p in refused(text).problems] == [line_of(text, "A-C: full")]


def test_broken_yaml_is_refused_with_its_line() -> None:
    text = TWO_MARKETS.replace("seed: 11", "seed: [11")
    assert refused(text).problems[0].line >= line_of(text, "seed: [11")


def test_a_period_cap_the_bridge_counts_per_year_is_what_earlier_phases_left_of_it() -> None:
    text = (SCENARIOS / "two-markets-capped.yaml").read_text().replace(
        "      A-B: restricted\n", "      A-B: restricted\n  - name: capped-again\n    start_day: 4\n"
        "    links:\n      A-B: restricted\n", 1)
    first, second = phase_problems(parse_scenario(text))[1:]
    assert [arc.cap for arc in first.arcs] == [500, 500]
    assert [arc.cap for arc in second.arcs] == [0, 500]  # B>A used its 500 in the first capped phase
    assert [solve(second.markets, second.arcs).markets[m].price for m in "AB"] == [40, 10]


def test_a_registry_foreign_limit_caps_full_links_too_and_several_incoming_arcs_are_noted() -> None:
    text = (SCENARIOS / "two-markets.yaml").read_text().replace(
        "  - id: A\n    name: Market A\n", "  - id: A\n    name: Market A\n    foreign_limit: \"0.01\"\n", 1)
    full = phase_problems(parse_scenario(text))[1]
    into_a = next(arc for arc in full.arcs if arc.destination == "A")
    assert into_a.cap == 500  # 1% of the importers' 50,000 t baseline
    assert full.notes == ()


def test_a_bilateral_rate_converts_back_at_its_inverse_unless_the_agreement_names_a_reverse_rate() -> None:
    text = TWO_MARKETS.replace("    kind: bilateral\n", "    kind: bilateral\n    exchange_rate: \"2\"\n", 1)
    scenario = parse_scenario(text)
    [linkage] = scenario.linkages
    full = next(p for p in phase_problems(scenario) if p.arcs)
    assert {arc.id: arc.rate for arc in full.arcs} == {"A-B:B>A": 2, "A-B:A>B": Fraction(1, 2)}
    assert link_terms(scenario, linkage, scenario.phases[1].links["A-B"])["reverse_exchange_rate"] == "1/2"

    agreed = parse_scenario(text.replace('exchange_rate: "2"\n', 'exchange_rate: "2"\n    reverse_exchange_rate: "2/5"\n'))
    full = next(p for p in phase_problems(agreed) if p.arcs)
    assert {arc.id: arc.rate for arc in full.arcs}["A-B:A>B"] == Fraction(2, 5)
    assert link_terms(agreed, agreed.linkages[0], agreed.phases[1].links["A-B"])["reverse_exchange_rate"] == "2/5"


def test_a_reverse_rate_that_would_create_units_on_a_round_trip_is_refused_at_its_line() -> None:
    text = TWO_MARKETS.replace("    kind: bilateral\n",
                               "    kind: bilateral\n    exchange_rate: \"2\"\n    reverse_exchange_rate: \"1\"\n", 1)
    assert "round trip" in str(refused(text))


def with_corridor(text: str, corridor: str) -> str:
    """``text`` with ``corridor: {corridor}`` on its first linkage."""
    return text.replace("    unit_types: [ALLOWANCE]\n", "    unit_types: [ALLOWANCE]\n    corridor: {" + corridor + "}\n", 1)


def test_a_linkage_corridor_is_the_agreements_corridor_in_every_phase() -> None:
    scenario = load_scenario(SCENARIOS / "two-markets-corridor.yaml")
    [linkage] = scenario.linkages
    for phase in scenario.phases:
        terms = LinkageTerms.model_validate(link_terms(scenario, linkage, scenario.link_state(phase, linkage)))
        assert terms.corridor == Corridor(currency="CNY", floor=1500, ceiling=3000, action=CorridorAction.ALERT)


def test_a_corridor_converts_other_currencies_at_the_scenarios_fx_restated_in_its_own() -> None:
    text = with_corridor(TWO_MARKETS.replace('  CNY: "1"\n', '  CNY: "1"\n  KRW: "1/190"\n', 1),
                         'currency: KRW, floor: "2850", ceiling: "5700", action: BAND')
    scenario = parse_scenario(text)
    [linkage] = scenario.linkages
    corridor = link_terms(scenario, linkage, scenario.link_state(scenario.phases[0], linkage))["corridor"]
    assert corridor == {"currency": "KRW", "action": "BAND", "floor": 2850, "ceiling": 5700, "fx": {"CNY": "190"}}


@pytest.mark.parametrize(("corridor", "field"), [
    ('currency: USD, floor: "15.00", ceiling: "30.00"', "linkages[0].corridor.currency"),
    ('currency: CNY, floor: "30.00", ceiling: "15.00"', "linkages[0].corridor"),
    ('currency: CNY, floor: "15.001", ceiling: "30.00"', "linkages[0].corridor.floor"),
    ('currency: CNY, floor: "15.00", ceiling: "30.00", action: SHOUT', "linkages[0].corridor.action"),
])
def test_a_corridor_in_an_unknown_currency_upside_down_too_precise_or_with_an_unknown_action_is_refused_at_its_line(
        corridor: str, field: str) -> None:
    text = with_corridor(TWO_MARKETS, corridor)
    problems = refused(text).problems
    assert [(p.field, p.line) for p in problems] == [(field, line_of(text, "corridor: {"))]
