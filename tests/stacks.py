"""Whole embedded stacks for tests: every port free, every file under the test's own state directory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from carbonlink.servers import free_port
from carbonlink.stack import Stack
from shared.settings import Settings


def private_settings(var_dir: Path, **overrides) -> Settings:
    return Settings(var_dir=var_dir, kafka_port=free_port(), redis_port=free_port(), order_entry_port=free_port(),
                    **overrides)


@contextmanager
def private_stack(var_dir: Path, **overrides) -> Iterator[Stack]:
    """A stack that is up (every component healthy) inside the block and stopped, by pid, after it."""
    stack = Stack(private_settings(var_dir, **overrides))
    try:
        stack.up(say=lambda _: None, timeout=60)
        yield stack
    finally:
        stack.down(say=lambda _: None)
