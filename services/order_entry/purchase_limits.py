"""The purchase limit per account and period (WCI-style), checked before a buy alongside the holding limit.

`check_purchase` is the pure rule; `enforce` reads the two numbers it needs (the operator's limit, and the
tonnes oversight counted as the account's settled purchases this period), or takes them as the order desk read
them ahead with the order's other reads (for the period of the last order's business time: a new day reads again). Resting buys
are not counted until they settle: the limit bounds what each new buy may add to what was bought.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from services.order_entry.errors import ApiError
from shared import oversight_keys as keys
from shared.messages.vocabulary import Side


def check_purchase(*, limit: int | None, purchased: int, quantity: int) -> str | None:
    """Why a buy of ``quantity`` tonnes is refused, or None: it may not take the period's purchases past the limit."""
    if limit is not None and purchased + quantity > limit:
        return "PURCHASE_LIMIT_EXCEEDED"
    return None


@dataclass(frozen=True, slots=True)
class PurchaseReads:
    """The two numbers `enforce` needs, read ahead for `period` (with the order's other reads)."""

    period: int
    limit: bytes | None
    purchased: bytes | None


def queue_reads(pipe: Pipeline, *, account: str, period: int) -> None:
    """The reads of `PurchaseReads`, queued on a pipeline (limit, then purchases)."""
    pipe.hget(keys.PURCHASE_LIMITS, account)
    pipe.get(keys.purchases(account, period))


async def enforce(client: aioredis.Redis, *, account: str, side: Side, quantity: int, now: int,
                  read_ahead: PurchaseReads | None = None) -> None:
    """Refuse a buy over the limit; uses `read_ahead` when it was read for the period of `now`, else reads."""
    if side is not Side.BUY:
        return
    period = keys.purchase_period(now)
    if read_ahead is not None and read_ahead.period == period:
        limit, purchased = read_ahead.limit, read_ahead.purchased
    else:
        pipe = client.pipeline(transaction=False)
        queue_reads(pipe, account=account, period=period)
        limit, purchased = await pipe.execute()
    limit, purchased = (None if limit is None else int(limit)), int(purchased or 0)
    if check_purchase(limit=limit, purchased=purchased, quantity=quantity) is not None:
        raise ApiError(409, "PURCHASE_LIMIT_EXCEEDED", "the buy would take the account over its purchase limit",
                       {"limit": limit, "purchased": purchased, "period": period})
