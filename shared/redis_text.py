"""Redis answers as text: redis-py returns bytes unless a client decodes responses, and every reader of a key turns
them into ``str`` with these two helpers."""

from __future__ import annotations

from collections.abc import Mapping


def text(value: bytes | str | None) -> str:
    """A Redis value as text; a missing value (None) is the empty string."""
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


def text_map(raw: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    """A hash (HGETALL) as text keys and values."""
    return {text(key): text(value) for key, value in raw.items()}
