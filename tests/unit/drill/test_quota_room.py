"""The drill's traders cut a cross-border buy to what its link can still carry: delivered and reserved quota as
the exchange counts them, and what traders earlier in the same step decided."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from carbonlink.drill.quota_room import Arc, QuotaRoom, phase_rules
from carbonlink.drill.scenario import load_scenario
from shared.quota import QuotaTerms
from shared.read_models.linkage import link_field, reserved_field

LINK = link_field("A-B", "B", "A")


def room(**counters: int) -> QuotaRoom:
    arc = Arc("A-B", QuotaTerms(factor=Fraction(1), period_cap=500))
    return QuotaRoom({("B", "A"): arc}, counters, obligations={})


def test_a_buy_is_cut_to_the_cap_less_what_was_delivered_and_what_resting_orders_reserved() -> None:
    quota = room(**{LINK: 300, reserved_field(LINK): 150})
    assert quota.largest("A/e1", "B", "A", quantity=200, lot=10) == 50


def test_a_buy_decided_earlier_in_the_step_holds_its_quota_for_the_next_trader() -> None:
    quota = room(**{LINK: 300})
    quota.hold("A/e1", "B", "A", 150)
    assert quota.largest("A/e2", "B", "A", quantity=200, lot=1) == 50


def test_no_active_link_in_that_direction_carries_nothing() -> None:
    assert room().largest("B/e1", "A", "B", quantity=100, lot=1) == 0


def test_each_open_direction_knows_its_orders_minimum_fill_from_the_links_conversion_and_levies() -> None:
    scenario = load_scenario(Path("scenarios/pilot-cities.yaml"))
    phases = {phase.name: phase for phase in scenario.phases}
    restricted, recovery = phase_rules(scenario, phases["restricted"]), phase_rules(scenario, phases["recovery"])
    assert restricted[("CN-GD", "KR")].min_fill == 4  # 3 t x 0.9 = 2 gross; levies of 5% and 2% take 1 t each
    assert recovery[("CN-GD", "KR")].min_fill == 3  # no discount in this phase: 2 t are all levies
    assert recovery[("CN-BJ", "CN-SH")].min_fill == 1
