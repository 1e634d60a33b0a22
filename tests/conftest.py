"""Session fixtures: a private Redis (AOF) and a private Kafka-protocol broker on free ports.

Unit tests request neither and need no servers. Integration tests request `redis_url`,
`redis_client` (a flushed database per test), `async_redis` (an asyncio client on that database) or
`kafka_bootstrap`; each server starts once per
session, on first use, and is stopped by pid at the end. End-to-end tests request `running_stack`
(a whole embedded stack for the session) and `market` (their own linked market on it).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis
import redis.asyncio as aioredis

from carbonlink.servers import ServerProcess, free_port, start_broker, start_redis, stop_pid
from services.matching.core import BUILD as MATCHING_CORE_BUILD
from tests.integration.e2e.market import LinkedMarket, operator_key
from tests.stacks import private_stack


def pytest_report_header() -> str:
    """Which build of the matching core the run uses (`CARBONLINK_MATCHING_CORE`; `make test` runs both)."""
    return f"matching core: {MATCHING_CORE_BUILD} build"


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


@pytest.fixture
async def async_redis(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[aioredis.Redis]:
    """An asyncio client on the test's flushed database (the Redis adapters of the ports take one)."""
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


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
    with private_stack(tmp_path_factory.mktemp("stack") / "var") as stack:
        yield stack


@pytest.fixture
async def market(running_stack) -> AsyncIterator[LinkedMarket]:
    """A linked market of this test's own (registries, instrument, link) on the session's stack, via HTTP."""
    settings = running_stack.settings
    key = await operator_key(settings.redis_url, f"ops-{secrets.token_hex(3)}")
    async with httpx.AsyncClient(base_url=settings.order_entry_url, timeout=10) as client:
        yield LinkedMarket(client=client, operator=key, redis_url=settings.redis_url)
