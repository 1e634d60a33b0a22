"""The embedded stack: Redis, the broker and every service as local processes, tracked by pid files under var/.

`up` starts only what is not already running and waits until every service is ready (its heartbeat comes from
the recorded process and says it consumes), `status` never hangs on a dead server, `down` stops exactly the
processes recorded in the pid files, in reverse start order, and `restart` stops one component (or all) and
brings the stack up again: the operator's answer to a crash. Each service serves Prometheus metrics on its own
port (settings ``*_metrics_port``; matching instance i on ``matching_metrics_port`` + i); `status` says where.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import orjson
import redis

from carbonlink.servers import (free_port, free_port_run, pid_alive, port_open, spawn, start_broker, start_redis,
                                stop_pid)
from shared.kafka import create_topics
from shared.redis_health import fresh_beats, health_key
from shared.topics import ALL_TOPICS
from shared.topic_incarnation import record_created
from shared.settings import Settings

#: Services in start order, each run as `python -m services.<name>`; order entry last, as it checks the others.
SERVICES = ("matching", "settlement", "bridge", "oversight", "order_entry")


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    name: str
    pid: int | None
    address: str
    healthy: bool
    detail: str
    metrics: str = ""


class Stack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.var_dir = settings.var_dir.resolve()

    # --- pid files -----------------------------------------------------------------------------------------------

    def _pidfile(self, component: str) -> Path:
        return self.var_dir / "pids" / f"{component}.json"

    def _record(self, component: str, pid: int, address: str) -> None:
        path = self._pidfile(component)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps({"pid": pid, "address": address, "started": _start_ticks(pid)}))

    def running_pid(self, component: str) -> int | None:
        """The recorded pid if that very process (same start time, so not a reused pid) still runs."""
        path = self._pidfile(component)
        if not path.exists():
            return None
        record = orjson.loads(path.read_bytes())
        pid = record["pid"]
        if pid_alive(pid) and _start_ticks(pid) == record.get("started"):
            return pid
        return None

    def components(self) -> list[str]:
        return ["redis", "broker", *self._service_components()]

    def _service_components(self) -> list[str]:
        names: list[str] = []
        for service in SERVICES:
            if service == "matching":
                names += [f"matching-{i}" for i in range(self.settings.matching_instances)]
            else:
                names.append(service)
        return names

    # --- up / down -----------------------------------------------------------------------------------------------

    def up(self, *, say=print, timeout: float = 30.0) -> None:
        s = self.settings
        logs = self.var_dir / "logs"
        if pid := self.running_pid("redis"):
            say(f"redis already running (pid {pid})")
        else:
            proc = start_redis(host=s.redis_host, port=s.redis_port, data_dir=self.var_dir / "redis",
                               log_path=logs / "redis.log")
            self._record("redis", proc.pid, f"{s.redis_host}:{s.redis_port}")
            say(f"redis started (pid {proc.pid}, {s.redis_host}:{s.redis_port}, append-only)")
        broker_started = False
        if pid := self.running_pid("broker"):
            say(f"broker already running (pid {pid})")
        else:
            proc = start_broker(host=s.kafka_host, port=s.kafka_port, log_path=logs / "broker.log")
            self._record("broker", proc.pid, s.kafka_bootstrap)
            say(f"broker started (pid {proc.pid}, {s.kafka_bootstrap}, memory storage)")
            broker_started = True
        created = asyncio.run(create_topics(s))
        if created or broker_started:
            # A broker just started holds nothing from before: every topic is new, also one a client's request
            # auto-created between the broker's start and `create_topics`.
            with self._redis_client() as client:
                record_created(client, [topic.name for topic in ALL_TOPICS] if broker_started else created)
        if created:
            say(f"topics created: {', '.join(created)}")
        env = {**os.environ, **self._settings_environment()}
        for component in self._service_components():
            if pid := self.running_pid(component):
                say(f"{component} already running (pid {pid})")
                continue
            module = "services." + component.split("-")[0]
            pid = spawn([sys.executable, "-m", module], log_path=logs / f"{component}.log",
                        env={**env, "CARBONLINK_INSTANCE": component})
            self._record(component, pid, s.order_entry_url if component == "order_entry" else "")
            say(f"{component} started (pid {pid})")
        self.wait_healthy(timeout=timeout)

    def restart(self, component: str | None = None, *, say=print, timeout: float = 30.0) -> None:
        """Stop `component` (every component when None) if it still runs, then `up`: whatever is not running
        starts again and the call returns once everything is healthy (services: consuming again). A service
        name stands for all its instances (`matching` = `matching-0`, `matching-1`, ...)."""
        if component is None:
            self.down(say=say)
        else:
            for name in self.resolve(component):
                if pid := self.running_pid(name):
                    stop_pid(pid)
                    say(f"{name} stopped (pid {pid})")
                self._pidfile(name).unlink(missing_ok=True)
        self.up(say=say, timeout=timeout)

    def resolve(self, component: str) -> list[str]:
        """The components a name given by an operator stands for; ValueError naming the known ones."""
        known = self.components()
        if component in known:
            return [component]
        instances = [name for name in known if name.split("-")[0] == component]
        if not instances:
            raise ValueError(f"unknown component {component!r}; one of: {', '.join(known)} (or matching)")
        return instances

    def _settings_environment(self) -> dict[str, str]:
        """The stack's own settings, handed to every service it starts (they read nothing else)."""
        values = self.settings.model_dump(mode="json")
        env = {f"CARBONLINK_{name.upper()}": str(value) for name, value in values.items()}
        env["CARBONLINK_VAR_DIR"] = str(self.var_dir)
        return env

    def wait_healthy(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            unhealthy = [c for c in self.status() if not c.healthy]
            if not unhealthy:
                return
            if time.monotonic() > deadline:
                names = ", ".join(f"{c.name} ({c.detail})" for c in unhealthy)
                raise RuntimeError(f"not healthy after {timeout:.0f}s: {names}; logs in {self.var_dir / 'logs'}")
            time.sleep(0.25)

    def down(self, *, say=print) -> None:
        for component in reversed(self.components()):
            pid = self.running_pid(component)
            if pid:
                stop_pid(pid)
                say(f"{component} stopped (pid {pid})")
            self._pidfile(component).unlink(missing_ok=True)

    # --- status --------------------------------------------------------------------------------------------------

    def status(self) -> list[ComponentStatus]:
        s = self.settings
        rows = [self._server_status("redis", s.redis_host, s.redis_port, self._redis_ping),
                self._server_status("broker", s.kafka_host, s.kafka_port, lambda: True)]
        beats = self._heartbeats()
        for component in self._service_components():
            pid = self.running_pid(component)
            if pid is None:
                rows.append(ComponentStatus(component, None, "", False, "not running"))
                continue
            beat = beats.get(component)
            if component == "order_entry":
                rows.append(self._order_entry_status(pid))
            elif beat is None:
                rows.append(ComponentStatus(component, pid, "", False, "no recent heartbeat in Redis"))
            elif beat.get("pid") != pid:  # the last beat of a killed process stays fresh for a few seconds
                rows.append(ComponentStatus(component, pid, "", False, "starting (no heartbeat of this process yet)"))
            elif not beat.get("kafka_ok"):
                rows.append(ComponentStatus(component, pid, "", False, "broker unreachable"))
            elif not beat.get("ready"):
                rows.append(ComponentStatus(component, pid, "", False, "not consuming yet"))
            else:
                rows.append(ComponentStatus(component, pid, "", True, f"ready, heartbeat {time.time() - beat['at']:.1f}s ago"))
        services = set(self._service_components())
        return [replace(row, metrics=s.metrics_url(row.name)) if row.name in services else row for row in rows]

    def _server_status(self, name: str, host: str, port: int, probe) -> ComponentStatus:
        pid = self.running_pid(name)
        address = f"{host}:{port}"
        if not port_open(host, port, timeout=0.5):
            return ComponentStatus(name, pid, address, False, "not listening")
        try:
            ok = probe()
        except Exception as err:
            return ComponentStatus(name, pid, address, False, str(err)[:80])
        return ComponentStatus(name, pid, address, ok, "ok" if ok else "not answering")

    def _redis_client(self) -> redis.Redis:
        return redis.Redis(host=self.settings.redis_host, port=self.settings.redis_port,
                           socket_timeout=1, socket_connect_timeout=1)

    def _redis_ping(self) -> bool:
        with self._redis_client() as client:
            return bool(client.ping())

    def _heartbeats(self) -> dict[str, dict]:
        """Fresh heartbeats of every service instance, by instance name (empty when Redis does not answer)."""
        try:
            with self._redis_client() as client:
                beats: dict[str, dict] = {}
                for service in SERVICES:
                    beats |= fresh_beats(client.hgetall(health_key(service)), ttl_s=self.settings.heartbeat_ttl_s)
                return beats
        except redis.RedisError:
            return {}

    def _order_entry_status(self, pid: int) -> ComponentStatus:
        url = self.settings.order_entry_url
        try:
            response = httpx.get(f"{url}/healthz", timeout=2.0)
            body = response.json()
        except (httpx.HTTPError, ValueError) as err:
            return ComponentStatus("order_entry", pid, url, False, f"/healthz: {type(err).__name__}")
        if response.status_code == 200:
            return ComponentStatus("order_entry", pid, url, True, "ok")
        failing = [name for name, c in body.get("components", {}).items() if not c.get("healthy")]
        return ComponentStatus("order_entry", pid, url, False, "sees unhealthy: " + ", ".join(failing))


def free_metrics_ports(matching_instances: int = 1) -> dict[str, int]:
    """Settings giving every service of a private stack (tests, benchmarks) a metrics port nothing listens on."""
    ports = {f"{service}_metrics_port": free_port() for service in SERVICES if service != "matching"}
    return ports | {"matching_metrics_port": free_port_run(matching_instances)}


def _start_ticks(pid: int) -> int | None:
    """The process start time in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(") ", 1)[1].split()[19])
