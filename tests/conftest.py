"""Session fixtures: a private Redis (AOF) and a private Kafka-protocol broker on free ports.

Unit tests request neither and need no servers. Integration tests request `redis_url`,
`redis_client` (a flushed database per test) or `kafka_bootstrap`; each server starts once per
session, on first use, and is stopped by pid at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from carbonlink.servers import ServerProcess, free_port, start_broker, start_redis, stop_pid


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    base: Path = tmp_path_factory.mktemp("redis")
    server = start_redis(host="127.0.0.1", port=free_port(), data_dir=base / "data", log_path=base / "redis.log")
    yield server
    stop_pid(server.pid)


@pytest.fixture(scope="session")
def redis_url(redis_server: ServerProcess) -> str:
    return f"redis://{redis_server.host}:{redis_server.port}/0"


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def kafka_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    base: Path = tmp_path_factory.mktemp("broker")
    server = start_broker(host="127.0.0.1", port=free_port(), log_path=base / "broker.log")
    yield server
    stop_pid(server.pid)


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_server: ServerProcess) -> str:
    return f"{kafka_server.host}:{kafka_server.port}"


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory: pytest.TempPathFactory):
    """A whole embedded stack (Redis, broker, every service as a process) on free ports, for end-to-end tests.

    Shared by the session: tests isolate themselves by using their own instruments and accounts.
    """
    from carbonlink.stack import Stack
    from shared.settings import Settings

    settings = Settings(var_dir=tmp_path_factory.mktemp("stack") / "var", kafka_port=free_port(),
                        redis_port=free_port(), order_entry_port=free_port())
    stack = Stack(settings)
    try:
        stack.up(say=lambda _: None, timeout=60)
        yield stack
    finally:
        stack.down(say=lambda _: None)
