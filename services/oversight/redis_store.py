"""Oversight's records in Redis (layout in shared.oversight_keys): alerts recorded once per id, the published
positions, and the purchases counted once per trade. Everything here is derived from the topics, so a replay
after a restart writes the same records again, harmlessly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis

from shared import oversight_keys as keys
from shared import redis_keys, redis_scripts
from shared.ledger import views
from shared.redis_scripts import PipelinedScript
from shared.messages.operations import AlertRaised
from shared.redis_text import text
from shared.surveillance import ThresholdOverrides

# KEYS: alerts hash, index zset. ARGV: alert id, JSON, score. Returns 1 when the alert is new.
_RECORD_ALERT = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
"""

# KEYS: counted marker, purchases counter. ARGV: quantity. Counts a trade's purchase once.
_COUNT_PURCHASE = """
if not redis.call('SET', KEYS[1], '1', 'NX') then return 0 end
redis.call('INCRBY', KEYS[2], ARGV[1])
return 1
"""
_COUNT_PURCHASE_SCRIPT = PipelinedScript(_COUNT_PURCHASE)


@dataclass(frozen=True, slots=True)
class Purchase:
    """A settled trade's purchase: counted once per trade, for the buyer, in the period of its business time."""

    trade_id: str
    buyer: str
    quantity: int
    at: int


class OversightStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._record_alert = client.register_script(_RECORD_ALERT)

    async def record_alert(self, alert: AlertRaised) -> bool:
        """Keep the alert; True when it was not known before (only then is it published and acted on)."""
        return bool(await self._record_alert(keys=[keys.ALERTS, keys.ALERT_INDEX],
                                             args=[alert.alert_id, alert.model_dump_json(), alert.raised_at]))

    async def forget_alert(self, alert_id: str) -> None:
        """Undo a record whose publication failed, so the next delivery of its evidence raises it again."""
        pipe = self._client.pipeline(transaction=True)
        pipe.hdel(keys.ALERTS, alert_id)
        pipe.zrem(keys.ALERT_INDEX, alert_id)
        await pipe.execute()

    async def ownership(self) -> tuple[dict[str, str], int]:
        """The ownership groups and their version, read together."""
        pipe = self._client.pipeline(transaction=True)
        pipe.hgetall(keys.OWNERSHIP_GROUPS)
        pipe.get(keys.OWNERSHIP_VERSION)
        groups, version = await pipe.execute()
        return {text(k): text(v) for k, v in groups.items()}, int(version or 0)

    async def threshold_overrides(self) -> ThresholdOverrides | None:
        raw = await self._client.get(keys.THRESHOLDS)
        return None if raw is None else ThresholdOverrides.model_validate_json(raw)

    async def ownership_applied(self, version: int) -> None:
        """Tell the operator API which version of the ownership groups the detectors now judge with."""
        await self._client.set(keys.OWNERSHIP_APPLIED, version)

    async def record_settlements(self, purchases: Sequence[Purchase], positions: Sequence[tuple[str, str]]) -> None:
        """Count each buyer's purchase once per trade, and publish or withdraw each (account, asset) holding against
        its registry's threshold: the counts and the reads in one round trip, the positions in one transaction."""

        def reads(pipe) -> None:
            for purchase in purchases:
                _COUNT_PURCHASE_SCRIPT.queue(pipe, [keys.purchase_counted(purchase.trade_id),
                                                    keys.purchases(purchase.buyer, keys.purchase_period(purchase.at))],
                                             [purchase.quantity])
            for account, _ in positions:
                pipe.hget(keys.POSITION_THRESHOLDS, account.partition("/")[0])
                pipe.hgetall(redis_keys.balance_key(account))

        found = (await redis_scripts.execute(self._client, reads, _COUNT_PURCHASE_SCRIPT))[len(purchases):]
        pipe = self._client.pipeline(transaction=True)
        for (account, asset), threshold, raw in zip(positions, found[0::2], found[1::2]):
            if threshold is None:
                continue
            held = sum(views.balances(raw).get(asset, (0, 0)))
            if held > int(threshold):
                pipe.hset(keys.positions(asset), account, held)
                pipe.sadd(keys.POSITION_ASSETS, asset)
            else:
                pipe.hdel(keys.positions(asset), account)
        if len(pipe):
            await pipe.execute()
