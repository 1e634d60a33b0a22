"""Minimum fills: the size below which an order may not execute, and the fill two orders may make.

An order's `min_fill` (1 by default: any fill) is the smallest execution it accepts — a cross-border order's is
the quantity from which a delivery across its link credits anything (`shared.conversion`). The rule keeps every
live order fillable: a fill of `q` between two orders is allowed only if, for each of them, `q` is its whole
open quantity, or `q >= min_fill` and the open quantity it leaves is still `>= min_fill`. Among the allowed fills
the largest is made (capped below the smaller open quantity when a full fill would leave one side a remainder
too small to trade); when none is allowed the two do not trade. So an order's open quantity is never in
(0, min_fill): no remainder is left resting that nothing could fill.

The price of it, as with every venue's "minimum acceptable quantity" orders: an incoming order passes over a
resting order it may not fill with (the resting order keeps its place in the queue for the next one), so it may
trade at a worse price than that order's, and a book holding such orders may rest crossed — a bid at or above
an ask that it cannot trade with. FOK and the call auction apply the same rule.
"""

from __future__ import annotations


def allowed_fill(a_left: int, a_min: int, b_left: int, b_min: int, lot: int) -> int:
    """The largest fill, a multiple of `lot`, orders with open quantities `a_left`, `b_left` and minimum fills
    `a_min`, `b_min` may make (see the module docstring); 0 when they may not trade."""
    upper = a_left if a_left < b_left else b_left
    if _leaves_fillable(upper, a_left, a_min) and _leaves_fillable(upper, b_left, b_min):
        return upper
    most = min(a_left - a_min, b_left - b_min)  # a partial fill of both leaves each its minimum
    most -= most % lot
    return most if most >= a_min and most >= b_min else 0


def _leaves_fillable(fill: int, left: int, minimum: int) -> bool:
    return fill == left or (fill >= minimum and left - fill >= minimum)
