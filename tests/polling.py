"""Waiting in tests: poll for a condition instead of sleeping; the one helper every test uses to wait."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

INTERVAL_S = 0.05


def wait_until(probe: Callable[[], T], *, what: str = "the condition", timeout: float = 20.0) -> T:
    """Call ``probe`` until it returns something truthy, and return that; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(INTERVAL_S)


async def eventually(probe: Callable[[], T | Awaitable[T]], *, what: str = "the condition",
                     timeout: float = 20.0) -> T:
    """Like ``wait_until`` without blocking the event loop; ``probe`` may be a plain or a coroutine function."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(INTERVAL_S)
