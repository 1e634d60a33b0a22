"""Where services leave their heartbeat in Redis, for `stack status` and `/healthz` to read.

One hash per service, one field per instance holding JSON with the time of the beat: readers judge
freshness by that time, so reading health never scans the keyspace (which holds every order and trade).
"""

from __future__ import annotations

import time

import orjson


def health_key(service: str) -> str:
    return f"health:{service}"


def fresh_beats(raw: dict, *, ttl_s: float, now: float | None = None) -> dict[str, dict]:
    """The instances of one service whose last beat is younger than `ttl_s`, by instance name."""
    now = time.time() if now is None else now
    beats = (orjson.loads(value) for value in raw.values())
    return {beat["instance"]: beat for beat in beats if now - beat["at"] < ttl_s}
