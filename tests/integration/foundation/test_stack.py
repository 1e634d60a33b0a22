"""`carbonlink stack up | status | down` on free ports with a private state directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbonlink.servers import pid_alive
from carbonlink.stack import Stack
from tests.stacks import private_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(tmp_path: Path):
    stack = Stack(private_settings(tmp_path / "var"))
    yield stack
    stack.down(say=lambda _: None)


def test_up_brings_every_component_to_healthy_and_down_leaves_nothing(stack: Stack) -> None:
    said: list[str] = []
    stack.up(say=said.append, timeout=30)
    rows = stack.status()
    assert {row.name for row in rows} == {"redis", "broker", "matching-0", "settlement", "bridge", "order_entry"}
    assert all(row.healthy for row in rows), rows
    pids = [row.pid for row in rows]

    again: list[str] = []
    stack.up(say=again.append, timeout=30)
    assert all("already running" in line for line in again if "topics" not in line)
    assert [row.pid for row in stack.status()] == pids

    stack.down(say=lambda _: None)
    assert not any(pid_alive(pid) for pid in pids if pid)
    assert not any(row.healthy for row in stack.status())


def test_status_reports_a_killed_redis_as_unhealthy_without_hanging(stack: Stack) -> None:
    stack.up(say=lambda _: None, timeout=30)
    redis_pid = stack.running_pid("redis")
    import os
    import signal
    os.kill(redis_pid, signal.SIGKILL)
    rows = {row.name: row for row in stack.status()}
    assert not rows["redis"].healthy
    stack.up(say=lambda _: None, timeout=30)
    assert all(row.healthy for row in stack.status())
