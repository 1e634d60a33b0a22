"""The exchange's business clock: the wall clock, unless an operator holds business time at a stated moment.

A drill steps business time through its scenario's trading days: ``POST /v1/admin/clock`` stores the moment
in ``clock:business`` and every adapter that stamps business time (order entry on orders, cancels, phase
changes and link operations; the bridge's timer for parked deliveries) reads it from there, so bridge periods,
settlement windows and order expiry follow the drill's steps, not the machine. ``DELETE /v1/admin/clock``
returns the exchange to the wall clock.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from shared.runtime import business_now_ms

__all__ = ["CLOCK_KEY", "business_now", "business_time"]

#: String: the business time (ms since the epoch) an operator holds the exchange at; absent: wall clock.
CLOCK_KEY = "clock:business"


def business_time(stored: bytes | str | None) -> int:
    """Business time given the stored value of ``CLOCK_KEY`` (read in the caller's own round trip)."""
    return int(stored) if stored else business_now_ms()


async def business_now(client: aioredis.Redis) -> int:
    """Business time now: the held moment, else the wall clock."""
    return business_time(await client.get(CLOCK_KEY))
