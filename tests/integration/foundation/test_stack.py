"""`carbonlink stack up | status | restart | down` on free ports with a private state directory."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import orjson
import pytest
import redis

from carbonlink.servers import pid_alive
from carbonlink.stack import Stack
from shared.redis_health import health_key
from tests.polling import wait_until
from tests.stacks import private_settings

pytestmark = pytest.mark.integration


def kill9(pid: int) -> None:
    """SIGKILL, then wait for the kernel to finish the process: the signal is delivered asynchronously."""
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), what=f"pid {pid} to die", timeout=10)


@pytest.fixture
def stack(tmp_path: Path):
    stack = Stack(private_settings(tmp_path / "var"))
    yield stack
    stack.down(say=lambda _: None)


def test_up_brings_every_component_to_healthy_and_down_leaves_nothing(stack: Stack) -> None:
    said: list[str] = []
    stack.up(say=said.append, timeout=90)
    rows = stack.status()
    assert {row.name for row in rows} == {"redis", "broker", "matching-0", "settlement", "bridge", "oversight",
                                         "order_entry"}
    assert all(row.healthy for row in rows), rows
    pids = [row.pid for row in rows]

    again: list[str] = []
    stack.up(say=again.append, timeout=90)
    assert all("already running" in line for line in again if "topics" not in line)
    assert [row.pid for row in stack.status()] == pids

    stack.down(say=lambda _: None)
    assert not any(pid_alive(pid) for pid in pids if pid)
    assert not any(row.healthy for row in stack.status())


def test_status_reports_a_killed_redis_as_unhealthy_without_hanging(stack: Stack) -> None:
    stack.up(say=lambda _: None, timeout=90)
    redis_pid = stack.running_pid("redis")
    kill9(redis_pid)
    rows = {row.name: row for row in stack.status()}
    assert not rows["redis"].healthy
    stack.up(say=lambda _: None, timeout=90)
    assert all(row.healthy for row in stack.status())


def test_a_killed_service_is_unhealthy_until_restart_brings_it_back_consuming(stack: Stack) -> None:
    stack.up(say=lambda _: None, timeout=90)
    killed = stack.running_pid("settlement")
    kill9(killed)
    rows = {row.name: row for row in stack.status()}
    assert (rows["settlement"].healthy, rows["settlement"].detail) == (False, "not running")

    said: list[str] = []
    stack.restart("settlement", say=said.append, timeout=90)

    rows = {row.name: row for row in stack.status()}
    assert all(row.healthy for row in rows.values()), rows
    assert rows["settlement"].pid not in (None, killed)
    with redis.Redis(host=stack.settings.redis_host, port=stack.settings.redis_port) as client:
        beat = orjson.loads(client.hget(health_key("settlement"), "settlement"))
    assert (beat["pid"], beat["ready"]) == (rows["settlement"].pid, True)
    assert "settlement started" in " ".join(said)


def test_restart_of_a_running_component_replaces_its_process_and_leaves_the_others(stack: Stack) -> None:
    stack.up(say=lambda _: None, timeout=90)
    before = {row.name: row.pid for row in stack.status()}

    stack.restart("matching", say=lambda _: None, timeout=90)

    after = {row.name: row.pid for row in stack.status()}
    assert after["matching-0"] != before["matching-0"]
    assert {k: v for k, v in after.items() if k != "matching-0"} == {k: v for k, v in before.items() if k != "matching-0"}
    assert all(row.healthy for row in stack.status())
    with pytest.raises(ValueError, match="unknown component"):
        stack.restart("matcher", say=lambda _: None)
