"""What the rule engine judges a delivery against, and the port that reads it: the trade holds and the usage
counters (quota use, obligation, holdings, blocks, adjustments), all ledger state under the ``{L}`` tag.

``UsageReader`` is the port: ``redis_usage.RedisUsageReader`` reads in one Redis round trip, the unit tests'
fake reads the in-memory ledger; one contract suite (``tests/contracts/bridge_usage.py``) runs on both. Both
fetch the same ``reads`` and decode them with ``delivery_state``, so only the fetching differs.

Where each ``rules.Usage`` figure comes from:

- quota counters: the period's quota hash (``bridge_keys.quota_key``), raised by every approval;
- ``obligation``: the buyer's verified emissions for the period (``{L}:compliance:{account}``, field = period);
- ``local_units_counted``: the buyer's holding of units of the receiving registry's own origin, of the types the
  rule admits; ``foreign_units_counted``: what the bridge delivered to the buyer under local-origin rules;
- ``receiver_holding`` / ``receiver_holding_limit``: the buyer's available + reserved of the delivered class and
  the ledger's holding limit on it;
- ``sender_held``: the seller's trade hold ``{L}:hold:{trade}:sell`` when it matches the seller and the class;
- blocked flags: the ledger account record's ``blocked`` field set to ``"1"``;
- ``units_already_adjusted``: units held outside their origin that an earlier adjustment covers (the pool per
  registry and class, ``bridge_keys.ADJUSTED_POOL``, holds at least the traded quantity).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.bridge import bridge_keys as keys
from services.bridge import rules
from shared import redis_keys
from shared.ledger.views import balances, text, text_map

#: One hash read: (``hgetall`` | ``hget`` | ``hmget``, key, fields).
Read = tuple[str, str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """The usage for the engine, plus the two trade holds the executor consumes."""

    usage: rules.Usage
    buy_hold: dict[str, str]
    sell_hold: dict[str, str]
    adjusted_pool: int


class UsageReader(Protocol):
    async def read_state(self, *, request: rules.TransferRequest, agreement: rules.LinkageAgreement | None,
                         period: int) -> DeliveryState:
        """The state a delivery is judged against in ``period``, read at once."""
        ...


def delivered_class(agreement: rules.LinkageAgreement | None, sent: rules.UnitClass) -> rules.UnitClass:
    delivered_type = agreement.conversion.delivered_type if agreement else None
    return rules.UnitClass(sent.origin, delivered_type or sent.unit_type, sent.vintage)


def reads(request: rules.TransferRequest, agreement: rules.LinkageAgreement | None, period: int) -> list[Read]:
    """The hash reads ``delivery_state`` decodes, in its order."""
    seller, buyer = request.seller_account, request.buyer_account
    link = agreement.link_id if agreement else ""
    direction = (request.from_registry, request.to_registry)
    received = delivered_class(agreement, request.unit_class).asset_code
    return [
        ("hgetall", redis_keys.hold_key(request.trade_id, "buy"), ()),
        ("hgetall", redis_keys.hold_key(request.trade_id, "sell"), ()),
        ("hmget", keys.quota_key(period), (keys.link_field(link, *direction),
                                           keys.account_field(link, *direction, buyer), keys.obligation_field(buyer),
                                           keys.foreign_field(buyer))),
        ("hget", redis_keys.compliance_key(buyer), (str(period),)),
        ("hgetall", redis_keys.balance_key(buyer), ()),
        ("hget", redis_keys.holding_limits_key(buyer), (received,)),
        ("hget", redis_keys.account_key(seller), ("blocked",)),
        ("hget", redis_keys.account_key(buyer), ("blocked",)),
        ("hget", keys.ADJUSTED_POOL, (keys.pool_field(request.from_registry, request.unit_class.asset_code),)),
    ]


def delivery_state(request: rules.TransferRequest, agreement: rules.LinkageAgreement | None,
                   results: Sequence[Any]) -> DeliveryState:
    """The state from the results of ``reads`` (values as Redis returns them, bytes or text; None when absent)."""
    buy_raw, sell_raw, quota, obligation, buyer_raw, limit, seller_blocked, buyer_blocked, pool = results
    seller, sent = request.seller_account, request.unit_class.asset_code
    received = delivered_class(agreement, request.unit_class).asset_code
    buy_hold, sell_hold = text_map(buy_raw), text_map(sell_raw)
    link_used, account_used, obligation_used, foreign_used = (_int(v) for v in quota)
    holdings = balances(buyer_raw)
    local_types = agreement.eligibility.unit_types if agreement else frozenset()
    local_units = sum(
        available + reserved
        for asset, (available, reserved) in holdings.items()
        if _is_local(asset, request.to_registry, local_types)
    )
    sender_held = (
        _int(sell_hold.get("remaining"))
        if sell_hold.get("account") == seller and sell_hold.get("asset") == sent
        else 0
    )
    adjusted_pool = _int(pool)
    usage = rules.Usage(
        sender_held=sender_held,
        link_period_delivered=link_used,
        account_period_delivered=account_used,
        obligation=_int(obligation),
        obligation_units_counted=obligation_used,
        local_units_counted=local_units,
        foreign_units_counted=foreign_used,
        receiver_holding=sum(holdings.get(received, (0, 0))),
        receiver_holding_limit=None if limit is None else int(text(limit)),
        sender_blocked=_flag(seller_blocked),
        receiver_blocked=_flag(buyer_blocked),
        units_already_adjusted=(
            request.unit_class.origin != request.from_registry and adjusted_pool >= request.quantity
        ),
    )
    return DeliveryState(usage=usage, buy_hold=buy_hold, sell_hold=sell_hold, adjusted_pool=adjusted_pool)


def _is_local(asset: str, registry: str, unit_types: frozenset[rules.UnitType]) -> bool:
    parts = asset.split(":")
    return len(parts) == 4 and parts[0] == "U" and parts[1] == registry and parts[2] in unit_types


def _int(value: bytes | str | None) -> int:
    return 0 if value is None else int(text(value))


def _flag(value: bytes | str | None) -> bool:
    return value is not None and text(value) == "1"
