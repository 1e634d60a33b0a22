"""Read-outs of what the bridge has counted: net flows per registry pair and corresponding adjustments per period."""

from __future__ import annotations

from collections.abc import Mapping

import redis.asyncio as aioredis

from services.bridge import bridge_keys as keys
from services.bridge import rules
from shared.ledger.views import text_map


def flows_from_counters(counters: Mapping[str, str]) -> dict[tuple[str, str], rules.DirectedFlow]:
    """The net-flow hash (fields ``{from}>{to}|{name}``) → totals per direction."""
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for field, value in counters.items():
        direction, _, name = field.rpartition("|")
        from_registry, _, to_registry = direction.partition(">")
        if name in keys.NETFLOW_FIELDS and from_registry and to_registry:
            totals.setdefault((from_registry, to_registry), {})[name] = int(value)
    return {pair: rules.DirectedFlow(*pair, **values) for pair, values in sorted(totals.items())}


async def net_flows(client: aioredis.Redis) -> dict[tuple[str, str], rules.DirectedFlow]:
    """What crossed each border in each direction, as counted with every approved delivery."""
    return flows_from_counters(text_map(await client.hgetall(keys.NETFLOW)))


async def pair_balance(client: aioredis.Redis, registry_a: str, registry_b: str) -> rules.PairBalance:
    return rules.pair_balance(await net_flows(client), registry_a, registry_b)


async def adjustments(client: aioredis.Redis, period: int | str) -> dict[str, int]:
    """Corresponding adjustments recorded for a period: registry → signed tonnes (+ origin, − receiver).

    The figures sum to zero across registries (each adjustment is recorded as a +/- pair).
    """
    raw = text_map(await client.hgetall(keys.adjustments_key(period)))
    return {registry: int(value) for registry, value in sorted(raw.items()) if int(value)}
