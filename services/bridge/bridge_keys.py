"""Redis key layout of the bridge.

What an approval changes lives under the ledger's ``{L}`` hash tag (quota counters, net flows, adjustments,
adjusted-unit pools, decision records), because the ledger's one Lua entry updates it with the delivery.
The audit stream and the deferred-request queue are the bridge's alone and sit outside the tag.
"""

from __future__ import annotations

from shared import redis_keys

AUDIT_STREAM = "bridge:audit"
PENDING = "bridge:pending"
PENDING_REQUESTS = "bridge:pending:requests"

NETFLOW = redis_keys.counter_key("bridge:netflow")
ADJUSTED_POOL = redis_keys.counter_key("bridge:adjusted")

#: The net-flow counters kept per direction, as fields ``{from}>{to}|{name}``.
NETFLOW_FIELDS = ("transfers", "consumed", "gross", "delivered", "levy", "cancelled")


def quota_key(period: int) -> str:
    """Hash of every quota counter of one compliance period (fields from ``quota_field``)."""
    return redis_keys.counter_key(f"bridge:quota:{period}")


def link_field(link_id: str, from_registry: str, to_registry: str) -> str:
    return f"LINK|{link_id}|{from_registry}>{to_registry}"


def account_field(link_id: str, from_registry: str, to_registry: str, account: str) -> str:
    return f"ACCOUNT|{link_id}|{from_registry}>{to_registry}|{account}"


def obligation_field(account: str) -> str:
    return f"OBLIGATION|{account}"


def foreign_field(account: str) -> str:
    return f"FOREIGN|{account}"


def adjustments_key(period: int | str) -> str:
    """Hash: registry → signed sum of corresponding adjustments (tonnes) recorded for the period."""
    return redis_keys.counter_key(f"bridge:adjustments:{period}")


def netflow_field(from_registry: str, to_registry: str, name: str) -> str:
    return f"{from_registry}>{to_registry}|{name}"


def pool_field(registry: str, asset: str) -> str:
    """Units of a class held in a registry that a corresponding adjustment already covers."""
    return f"{registry}|{asset}"


def decision_key(trade_id: str) -> str:
    """Hash: the final decision on a trade (written with the delivery, or on refusal), for idempotent replay."""
    return f"{redis_keys.TAG}:bridge:decision:{trade_id}"
