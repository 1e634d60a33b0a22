"""The drill's traders cut a cross-border buy to what its link can still carry: delivered and reserved quota as
the exchange counts them, and what traders earlier in the same step decided."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

from carbonlink.drill.agents import Agent, Floor
from carbonlink.drill.order_terms import OrderIntent, Quote, Venue
from carbonlink.drill.quota_room import Arc, QuotaRoom, phase_rules
from carbonlink.drill.scenario import load_scenario
from carbonlink.drill.setup_plan import Member
from carbonlink.drill.traders import ComplianceTrader
from carbonlink.drill.trading_step import plan_orders
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


def test_a_buy_across_a_period_cap_every_importer_shares_is_good_for_the_step_only() -> None:
    member = Member("A-ce1", "compliance", "A-ALW", "A", "A-ce1", "A/A-ce1")
    home, abroad = (Venue(i, "CNY", tick=1, lot=1, min_qty=1, max_qty=99_999) for i in ("A-ALW", "B-ALW"))
    logic = ComplianceTrader(baseline=10_000, slope=Fraction(1, 10), value_scale=100, position=9_000, units=0,
                             cash={"CNY": 10**9})
    agent = Agent(member=member, logic=logic, home=home, home_asset="U:A:ALLOWANCE:2025", rng=random.Random(1),
                  api_key="k")
    floor = Floor(quotes={"A-ALW": Quote(4_000, 4_000), "B-ALW": Quote(1_000, 1_000)}, abroad={"A": [abroad]},
                  open_instruments={"A-ALW", "B-ALW"})
    shared = room()
    per_account = QuotaRoom({("B", "A"): Arc("A-B", QuotaTerms(factor=Fraction(1), account_cap=500))}, {}, {})

    def abroad_buys(quota: QuotaRoom) -> list[OrderIntent]:
        lanes = plan_orders([agent], floor, random.Random(2), quota, {"A-ALW": "A", "B-ALW": "B"})
        return [intent for _, intent in lanes.get("B-ALW", [])]

    bought = [intent for _ in range(10) for intent in abroad_buys(shared)]
    assert bought and all(intent.for_step for intent in bought)
    assert not any(intent.for_step for _ in range(10) for intent in abroad_buys(per_account))
