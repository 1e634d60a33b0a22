"""Redis key layout of the bridge.

What an approval changes lives under the ledger's ``{L}`` hash tag (quota counters, net flows, adjustments,
adjusted-unit pools, decision records), because the ledger's one Lua entry updates it with the delivery.
The audit stream and the deferred-request queue are the bridge's alone and sit outside the tag. The counters others
read (quota use, net flows, adjustments) are a read model documented in ``shared.read_models.linkage``.
"""

from __future__ import annotations

from shared import redis_keys
from shared.read_models.linkage import (  # noqa: F401  (the read-model part of the bridge's layout)
    NETFLOW, NETFLOW_FIELDS, account_field, adjustments_key, link_field, netflow_field, obligation_field, quota_key,
    reserved_field,
)

AUDIT_STREAM = "bridge:audit"
PENDING = "bridge:pending"
PENDING_REQUESTS = "bridge:pending:requests"

ADJUSTED_POOL = redis_keys.counter_key("bridge:adjusted")


def foreign_field(account: str) -> str:
    return f"FOREIGN|{account}"


def pool_field(registry: str, asset: str) -> str:
    """Units of a class held in a registry that a corresponding adjustment already covers."""
    return f"{registry}|{asset}"


def decision_key(trade_id: str) -> str:
    """Hash: the final decision on a trade (written with the delivery, or on refusal), for idempotent replay."""
    return f"{redis_keys.TAG}:bridge:decision:{trade_id}"
