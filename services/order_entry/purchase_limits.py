"""The purchase limit per account and period (WCI-style), checked before a buy alongside the holding limit.

`check_purchase` is the pure rule; `enforce` reads the two numbers it needs (the operator's limit, and the
tonnes oversight counted as the account's settled purchases this period) in one round trip. Resting buys
are not counted until they settle: the limit bounds what each new buy may add to what was bought.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from services.order_entry.errors import ApiError
from shared import oversight_keys as keys
from shared.messages import Side


def check_purchase(*, limit: int | None, purchased: int, quantity: int) -> str | None:
    """Why a buy of ``quantity`` tonnes is refused, or None: it may not take the period's purchases past the limit."""
    if limit is not None and purchased + quantity > limit:
        return "PURCHASE_LIMIT_EXCEEDED"
    return None


async def enforce(client: aioredis.Redis, *, account: str, side: Side, quantity: int, now: int) -> None:
    if side is not Side.BUY:
        return
    period = keys.purchase_period(now)
    pipe = client.pipeline(transaction=False)
    pipe.hget(keys.PURCHASE_LIMITS, account)
    pipe.get(keys.purchases(account, period))
    limit, purchased = await pipe.execute()
    limit, purchased = (None if limit is None else int(limit)), int(purchased or 0)
    if check_purchase(limit=limit, purchased=purchased, quantity=quantity) is not None:
        raise ApiError(409, "PURCHASE_LIMIT_EXCEEDED", "the buy would take the account over its purchase limit",
                       {"limit": limit, "purchased": purchased, "period": period})
