"""hiredis packing (``shared.redis_packing``) puts the same bytes on the wire as redis-py's own asyncio packer."""

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from shared.redis_packing import fast_packing

COMMANDS = [
    ("EVALSHA", "ab" * 20, 3, "bal:CN-BJ/a", b"acct:CN-BJ/b", "é-key", b'{"x":"\xc3\xa9"}' * 500, 0, -7),
    ("CONFIG GET", "maxmemory"),
    (b"SCRIPT LOAD", "return 1"),
    ("SET", "k", 1.5),  # a float: redis-py's packer
    ("SET", "k", memoryview(b"v")),
]


def _fast_connection() -> Connection:
    client = fast_packing(aioredis.Redis())
    return client.connection_pool.connection_class()


@pytest.mark.parametrize("args", COMMANDS)
def test_same_bytes_as_redis_py(args) -> None:
    assert b"".join(map(bytes, _fast_connection().pack_command(*args))) == \
        b"".join(map(bytes, Connection().pack_command(*args)))


def test_pipelines_pack_the_same() -> None:
    assert b"".join(_fast_connection().pack_commands(COMMANDS[:3])) == b"".join(Connection().pack_commands(COMMANDS[:3]))


def test_what_redis_py_refuses_is_still_refused() -> None:
    with pytest.raises(DataError):
        _fast_connection().pack_command("SET", "k", True)


def test_the_connection_class_of_the_url_is_kept() -> None:
    client = fast_packing(aioredis.Redis.from_url("unix:///tmp/redis.sock"))
    assert issubclass(client.connection_pool.connection_class, aioredis.UnixDomainSocketConnection)
