"""A light HTTP/1.1 load client for the benchmarks: keep-alive connections over asyncio streams, each request
written as bytes and its answer read by Content-Length, so the client's own CPU stays small beside the system it
measures (httpx cost ~4 ms of CPU per order on the 2-core machines, more than order entry itself).

Only what the benchmarks need: JSON bodies, one request at a time per connection, a pool of connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import orjson


class HttpError(Exception):
    """The connection broke or the answer was not HTTP/1.1 as expected."""


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        """Send a request whose head (request line and headers, without Content-Length and the blank line) is
        `head`; the status and body of the answer. Reconnects once if the kept-alive connection was closed."""
        for attempt in (0, 1):
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
            try:
                self._writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
                return await self._answer()
            except (ConnectionError, asyncio.IncompleteReadError, HttpError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _answer(self) -> tuple[int, bytes]:
        assert self._reader is not None
        raw = await self._reader.readuntil(b"\r\n\r\n")
        status_line, _, headers = raw.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"not an HTTP answer: {status_line[:80]!r}")
        length = None
        chunked = close = False
        for line in headers.lower().split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                close = b"close" in value
        if chunked:
            body = bytearray()
            while size := int((await self._reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16):
                body += (await self._reader.readexactly(size + 2))[:-2]
            await self._reader.readuntil(b"\r\n")
            content = bytes(body)
        else:
            content = await self._reader.readexactly(length or 0)
        if close:
            self.close()
        return int(parts[1]), content

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class HttpLoad:
    """A pool of `connections` keep-alive connections to `base_url`; `post_json` takes a free one (or waits)."""

    def __init__(self, base_url: str, *, connections: int, headers: dict[str, str] | None = None) -> None:
        url = urlsplit(base_url)
        self._host, self._port = url.hostname or "127.0.0.1", url.port or 80
        self._common = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in (headers or {}).items())
        self._free: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(connections):
            self._free.put_nowait(Connection(self._host, self._port))
        self._all = list(self._free._queue)  # type: ignore[attr-defined]

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        connection = await self._free.get()
        try:
            yield connection
        finally:
            self._free.put_nowait(connection)

    async def post_json(self, path: str, body: dict) -> tuple[int, dict, float]:
        """POST `body` as JSON; (status, decoded answer, perf_counter when the answer arrived)."""
        head = b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s" % (
            path.encode(), self._host.encode(), self._common)
        async with self._connection() as connection:
            status, content = await connection.request(head, orjson.dumps(body))
        return status, (orjson.loads(content) if content else {}), time.perf_counter()

    def close(self) -> None:
        for connection in self._all:
            connection.close()
