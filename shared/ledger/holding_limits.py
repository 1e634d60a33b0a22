"""Pure holding-limit formulas; the ledger enforces the computed limit on every credit to the account."""

from __future__ import annotations

from fractions import Fraction

BEIJING_ALLOWANCE_MARGIN = 1_000_000
WCI_BASE_TRANCHE = 25_000_000
WCI_BASE_SHARE = Fraction(1, 10)
WCI_MARGINAL_SHARE = Fraction(25, 1000)


def beijing_limit(*, own_allocation: int, margin: int = BEIJING_ALLOWANCE_MARGIN) -> int:
    """Beijing pilot: an entity may hold its own allocation plus 1 Mt."""
    return own_allocation + margin


def wci_limit(*, annual_budget: int) -> int:
    """WCI: 10% of the first 25 M allowances of the annual budget plus 2.5% of the rest, rounded down.

    The 2013 California budget of 162.8 M gives 5,945,000.
    """
    base = min(annual_budget, WCI_BASE_TRANCHE) * WCI_BASE_SHARE
    rest = max(annual_budget - WCI_BASE_TRANCHE, 0) * WCI_MARGINAL_SHARE
    return int((base + rest) // 1)
