"""Pure limits the ledger enforces: holding-limit formulas and the surrender caps of compliance."""

from __future__ import annotations

from fractions import Fraction

from shared.ledger.compliance import SurrenderLimits, surrender_caps
from shared.ledger.holding_limits import beijing_limit, wci_limit
from shared.ledger.model import Code


def test_a_beijing_entity_may_hold_its_allocation_plus_one_million_tonnes() -> None:
    assert beijing_limit(own_allocation=250_000) == 1_250_000


def test_the_wci_limit_for_the_2013_california_budget_is_5_945_000() -> None:
    assert wci_limit(annual_budget=162_800_000) == 5_945_000


def test_a_wci_budget_under_25_million_gives_ten_percent() -> None:
    assert wci_limit(annual_budget=10_000_001) == 1_000_000


def test_a_domestic_allowance_is_capped_only_by_the_obligation() -> None:
    caps = surrender_caps(
        registry_id="CN-BJ",
        unit_class="U:CN-BJ:ALLOWANCE:2025",
        obligation=1_000,
        limits=SurrenderLimits(offset_share=Fraction(1, 20)),
    )
    assert [(c.field, c.cap, c.code) for c in caps] == [("total", 1_000, Code.OBLIGATION_EXCEEDED)]


def test_a_foreign_offset_counts_toward_both_shares_rounded_down() -> None:
    caps = surrender_caps(
        registry_id="CN-BJ",
        unit_class="U:CN-SH:OFFSET:2024",
        obligation=1_999,
        limits=SurrenderLimits(offset_share=Fraction(1, 20), foreign_share=Fraction(1, 40)),
    )
    assert [(c.field, c.cap) for c in caps] == [("total", 1_999), ("offset", 99), ("foreign", 49)]
