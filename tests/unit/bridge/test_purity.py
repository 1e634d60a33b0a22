"""The rule engine is a pure core: the standard library and shared's pure modules only (the import-linter contract
``pure-cores`` in pyproject.toml says the same for every core), a controlled public surface, deterministic answers."""

from __future__ import annotations

import ast
import sys
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import services.bridge.rules as rules
from services.bridge.rules import Conversion, Levies, QuantityLimits, SettlementCalendar, Weekday, evaluate

from .builders import agreement, request, usage

PACKAGE = Path(rules.__file__).parent


PURE_SHARED = {"shared", "shared.bands", "shared.cash_legs", "shared.conversion", "shared.eligibility", "shared.fees",
               "shared.periods", "shared.phases", "shared.bridge_reasons", "shared.quota"}


def test_the_rule_engine_imports_only_the_standard_library_shared_pure_modules_and_itself() -> None:
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in sys.stdlib_module_names or name in PURE_SHARED, (
                    f"{module.name} imports {name}")


def test_the_public_surface_is_exactly_all() -> None:
    assert sorted(rules.__all__) == rules.__all__
    assert all(hasattr(rules, name) for name in rules.__all__)


@settings(max_examples=100, deadline=None)
@given(
    quantity=st.integers(min_value=1, max_value=50_000),
    rate=st.fractions(min_value=Fraction(1, 4), max_value=4, max_denominator=100),
    cap=st.integers(min_value=0, max_value=100_000),
    obligation=st.integers(min_value=0, max_value=1_000_000),
    hours=st.integers(min_value=0, max_value=24 * 14),
)
def test_the_same_inputs_always_give_the_same_decision(
    quantity: int, rate: Fraction, cap: int, obligation: int, hours: int
) -> None:
    link = agreement(
        conversion=Conversion(exchange_rate=rate),
        levies=Levies(share_of_proceeds=Fraction(5, 100), cancellation_share=Fraction(2, 100)),
        limits=QuantityLimits(period_cap=cap, obligation_share=Fraction(5, 100)),
        calendar=SettlementCalendar.windows(weekdays={Weekday.TUESDAY, Weekday.THURSDAY}),
    )
    req = request(quantity=quantity, time=request().time + hours * 3_600_000)
    counters = usage(obligation=obligation)
    assert evaluate(req, link, counters) == evaluate(req, link, counters)
