"""Where services leave their heartbeat in Redis, for `stack status` and `/healthz` to read."""

from __future__ import annotations

HEALTH_PREFIX = "health:"


def health_key(service: str, instance: str) -> str:
    return f"{HEALTH_PREFIX}{service}:{instance}"


def health_pattern(service: str) -> str:
    return f"{HEALTH_PREFIX}{service}:*"
