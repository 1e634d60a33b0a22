"""Whole embedded stacks for tests: every port free, every file under the test's own state directory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from carbonlink.servers import free_port
from carbonlink.stack import Stack, free_metrics_ports
from shared.settings import Settings


def private_settings(var_dir: Path, **overrides) -> Settings:
    ports = free_metrics_ports(overrides.get("matching_instances", 1))
    return Settings(var_dir=var_dir, kafka_port=free_port(), redis_port=free_port(), order_entry_port=free_port(),
                    **(ports | overrides))


@contextmanager
def private_stack(var_dir: Path, **overrides) -> Iterator[Stack]:
    """A stack that is up (every component healthy) inside the block and stopped, by pid, after it."""
    stack = Stack(private_settings(var_dir, **overrides))
    try:
        stack.up(say=lambda _: None, timeout=60)
        yield stack
    finally:
        stack.down(say=lambda _: None)
