"""How a sent quantity splits into delivered units, levy, cancellation and the remainder the seller keeps.

With f = exchange_rate x (1 - discount) receiving units per sent unit, for ``sent`` units offered:

1. gross     = floor(sent x f)                        whole receiving units the conversion yields;
2. levy      = ceil(gross x share_of_proceeds)         to the receiving registry's levy account;
3. cancelled = min(ceil(gross x cancellation_share), gross - levy)   cancelled (OMGE-style);
4. delivered = gross - levy - cancelled               credited to the buyer;
5. consumed  = ceil(gross / f)                        the fewest whole sent units that yield ``gross``;
6. remainder = sent - consumed                        stays with the seller;
7. residue   = consumed x f - gross                   in [0, 1): a fraction of a receiving unit, never created.

Both levies are shares of the gross, as Article 6.4's 5% share of proceeds and 2% cancellation are shares of
the issuance; rounding them up keeps a delivery from escaping them by being split into small trades.
Conservation, exact in receiving units: sent x f = delivered + levy + cancelled + residue + remainder x f.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor

from .agreement import Conversion, Levies


@dataclass(frozen=True, slots=True)
class Split:
    """The quantities of one delivery: sent-side units (sent, consumed, remainder), receiving-side the rest."""

    sent: int
    consumed: int
    remainder: int
    gross: int
    levy: int
    cancelled: int
    delivered: int
    residue: Fraction


def split_quantity(sent: int, *, conversion: Conversion, levies: Levies) -> Split:
    """Split ``sent`` whole units under the conversion and levies (see the module docstring for the rules)."""
    if sent <= 0:
        raise ValueError("sent must be a positive number of tonnes")
    factor = conversion.factor
    gross = floor(sent * factor)
    levy = ceil(gross * Fraction(levies.share_of_proceeds))
    cancelled = min(ceil(gross * Fraction(levies.cancellation_share)), gross - levy)
    consumed = ceil(gross / factor)
    return Split(
        sent=sent,
        consumed=consumed,
        remainder=sent - consumed,
        gross=gross,
        levy=levy,
        cancelled=cancelled,
        delivered=gross - levy - cancelled,
        residue=consumed * factor - gross,
    )
