"""Post-trade anonymity: what a trader may see of a trade or a settlement record is its own side only (no
counterparty account or order id); operators and auditors see everything. Pure functions over the stored or
published JSON of ``TradeExecuted``, ``TradeSettled`` and ``TradeFailed``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

_SIDES = ("buy", "sell")


def own_side(record: Mapping[str, Any], accounts: Collection[str] | None) -> dict[str, Any]:
    """`record` as a holder of `accounts` may see it (None: every account, nothing hidden).

    A party to one side keeps its own ``{side}_account`` / ``{side}_order_id`` / ``{side}_leaves_quantity`` and
    learns ``side`` and, for an execution, its ``liquidity`` (MAKER or TAKER); the other side's fields and the
    maker/taker account and order ids are left out. A party to both sides (a trade between two of its own
    accounts) sees both.
    """
    if accounts is None:
        return dict(record)
    mine = [side for side in _SIDES if record.get(f"{side}_account") in accounts]
    if len(mine) != 1:
        return dict(record) if mine else {}
    side = mine[0]
    other = "sell" if side == "buy" else "buy"
    hidden = {f"{other}_account", f"{other}_order_id", f"{other}_leaves_quantity", "maker_account", "taker_account",
              "maker_order_id", "taker_order_id"}
    view = {k: v for k, v in record.items() if k not in hidden}
    view["side"] = side.upper()
    if "maker_account" in record:
        view["liquidity"] = "MAKER" if record.get("maker_order_id") == record.get(f"{side}_order_id") else "TAKER"
    return view
