"""One dedicated Redis connection that carries the scripts of many concurrent callers, pipelined.

Through redis-py every call takes a connection from the pool, goes through the retry wrapper, the timeout
context, the observability hooks, packs, writes (one syscall), reads and gives the connection back: ~100 µs of
CPU per call, about a quarter of order entry's CPU per order. A `RedisLane` packs the command with hiredis,
appends it to what the event loop's current iteration has queued, and writes all of it with one send at the end of
the iteration; a ``hiredis.Reader`` on the connection's protocol resolves the callers' futures in reply order. So
concurrent requests share one write and one read, on this side and on Redis's, without waiting for each other.

Each command is still its own EVALSHA, atomic on its own; nothing else changes for the caller: the reply is what
redis-py returns (bytes, not decoded, unless the client decodes), an error reply raises the exception redis-py
raises for it, a script Redis does not know (NOSCRIPT, after a restart or a SCRIPT FLUSH) is loaded and run again,
and a lost connection or a reply not received within the client's socket timeout raises redis-py's
``ConnectionError`` / ``TimeoutError`` after one retry on a new connection (as the client's own retry would).
A client that reaches Redis otherwise than by plain TCP and RESP2 (TLS, a Unix socket, RESP3, a credential
provider, a test double) is used as it is.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any

import hiredis
import redis.asyncio as aioredis
from redis._parsers.base import BaseParser
from redis.asyncio.connection import Connection, SSLConnection
from redis.exceptions import ConnectionError, InvalidResponse, NoScriptError, TimeoutError

from shared.redis_scripts import PipelinedScript

__all__ = ["RedisLane"]


class _Pipe(asyncio.Protocol):
    """The connection: requests written once per loop iteration, replies matched to requests in order."""

    def __init__(self, reader: hiredis.Reader, timeout: float | None) -> None:
        self._reader = reader
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._waiting: deque[asyncio.Future] = deque()
        self._outgoing: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._progress = 0.0  # when a reply last arrived, or the first request after none was waiting was sent
        self._watching = False
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def send(self, packed: bytes) -> asyncio.Future:
        future = self._loop.create_future()
        if self.lost is not None:
            future.set_exception(self.lost)
            return future
        if not self._waiting:
            self._progress = self._loop.time()
        self._waiting.append(future)
        if not self._outgoing:
            self._loop.call_soon(self._flush)
        self._outgoing.append(packed)
        if self._timeout and not self._watching:
            self._watching = True
            self._loop.call_later(self._timeout, self._watch)
        return future

    def _flush(self) -> None:
        if self._transport is not None and self.lost is None:
            self._transport.write(b"".join(self._outgoing))
        self._outgoing.clear()

    def data_received(self, data: bytes) -> None:
        reader, waiting = self._reader, self._waiting
        reader.feed(data)
        self._progress = self._loop.time()
        while (reply := reader.gets()) is not False:
            future = waiting.popleft()
            if future.done():  # its caller was cancelled: the reply is dropped
                continue
            if isinstance(reply, Exception):  # an error reply, as redis-py's parser makes it
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def _watch(self) -> None:
        self._watching = False
        if not self._waiting or self.lost is not None:
            return
        overdue = self._progress + self._timeout - self._loop.time()
        if overdue <= 0:
            self._fail(TimeoutError("Timeout reading from Redis"))
            if self._transport is not None:
                self._transport.abort()
        else:
            self._watching = True
            self._loop.call_later(overdue, self._watch)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError("Connection closed by server." if exc is None else
                                   f"Error while reading from Redis: {exc}"))

    def _fail(self, error: Exception) -> None:
        if self.lost is None:
            self.lost = error
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(self.lost)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class RedisLane:
    """Scripts run for concurrent callers over one connection of `client`'s settings (see the module)."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        pool = client.connection_pool
        self._kwargs = kwargs = pool.connection_kwargs
        self._direct = (issubclass(pool.connection_class, Connection)
                        and not issubclass(pool.connection_class, SSLConnection)
                        and kwargs.get("protocol") in (None, 2, "2") and kwargs.get("credential_provider") is None)
        self._pipe: _Pipe | None = None
        self._opening: asyncio.Lock | None = None

    async def evalsha(self, script: PipelinedScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """Run `script` (EVALSHA, loaded on NOSCRIPT) with `keys` and `args`; its reply."""
        if not self._direct:
            return await self._through_client(script, keys, args)
        packed = hiredis.pack_command(("EVALSHA", script.sha, len(keys), *keys, *args))
        retried = loaded = False
        while True:
            try:
                return await self._send(packed)
            except NoScriptError:
                if loaded:
                    raise
                loaded = True
                await self._send(hiredis.pack_command(("SCRIPT", "LOAD", script.source)))
            except (ConnectionError, TimeoutError):
                if retried:
                    raise
                retried = True

    async def _through_client(self, script: PipelinedScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        try:
            return await self._client.evalsha(script.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self._client.script_load(script.source)
            return await self._client.evalsha(script.sha, len(keys), *keys, *args)

    async def _send(self, packed: bytes) -> Any:
        pipe = self._pipe
        if pipe is None or pipe.lost is not None:
            pipe = await self._open()
        return await pipe.send(packed)

    async def _open(self) -> _Pipe:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pipe is not None and self._pipe.lost is None:
                return self._pipe
            kwargs = self._kwargs
            reader_args: dict[str, Any] = {"protocolError": InvalidResponse, "replyError": BaseParser.parse_error}
            if kwargs.get("decode_responses"):
                reader_args |= {"encoding": kwargs.get("encoding", "utf-8"),
                                "errors": kwargs.get("encoding_errors", "strict")}
            host, port = kwargs.get("host", "localhost"), kwargs.get("port", 6379)
            timeout = kwargs.get("socket_timeout")
            loop = asyncio.get_running_loop()
            try:
                _, pipe = await asyncio.wait_for(loop.create_connection(
                    lambda: _Pipe(hiredis.Reader(**reader_args), timeout), host, port),
                    kwargs.get("socket_connect_timeout") or timeout)
            except (OSError, asyncio.TimeoutError) as err:
                raise ConnectionError(f"Error connecting to {host}:{port}. {err}") from err
            hello = []
            if kwargs.get("password"):
                user = kwargs.get("username")
                hello.append(("AUTH", user, kwargs["password"]) if user else ("AUTH", kwargs["password"]))
            if kwargs.get("db"):
                hello.append(("SELECT", kwargs["db"]))
            try:
                for command in hello:
                    await pipe.send(hiredis.pack_command(command))
            except BaseException:
                pipe.close()
                raise
            if self._pipe is not None:
                self._pipe.close()
            self._pipe = pipe
            return pipe

    async def close(self) -> None:
        """Close the connection (a later call opens another)."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
