"""The hot route, ``POST /v1/orders``, served as a plain ASGI handler in front of FastAPI's routing.

FastAPI's per-request machinery (routing through every included router, the dependency graph, validating the
body field, serialising through the response model) cost about as much CPU per order as everything the order
desk does. This middleware takes a new order whose body is a JSON object that ``OrderRequest`` accepts and
does what the FastAPI route does — the same key check and rate limit and the same roles (``OrderDesk.place``,
in one Redis call with the order's reads), the same metrics, the same error JSON (``errors.response_for``).
Anything else (no Content-Length, another content type, a body that does not parse or validate) goes on to the
FastAPI route unchanged with its body, so every error answer stays FastAPI's own. The route stays registered there too: it is
what ``/openapi.json`` documents.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.order_entry import prometheus_metrics as metrics
from services.order_entry.errors import ApiError, response_for
from services.order_entry.schemas import OrderRequest

__all__ = ["OrderIntake"]

PATH = "/v1/orders"
#: Refusals of the caller, not of the order: the FastAPI route's dependencies raise them, uncounted.
_CALLER_REFUSED = frozenset({"UNAUTHENTICATED", "INVALID_API_KEY", "RATE_LIMITED", "FORBIDDEN"})
_JSON_HEADERS = [(b"content-type", b"application/json")]


def _presented_key(headers: list[tuple[bytes, bytes]]) -> tuple[bytes | None, str | None, bool]:
    """(Content-Length, the API key presented, whether the body is declared JSON) from the raw headers, read as
    FastAPI's ``APIKeyHeader`` and ``HTTPBearer`` read them (first header of a name; a bearer token)."""
    length = api_key = authorization = None
    is_json = False
    for name, value in headers:
        if name == b"content-length" and length is None:
            length = value
        elif name == b"x-api-key" and api_key is None:
            api_key = value.decode("latin-1")
        elif name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif name == b"content-type":
            is_json = value.split(b";", 1)[0].strip().lower() == b"application/json"
    if not api_key and authorization:
        scheme, _, credentials = authorization.partition(" ")
        credentials = credentials.strip()
        api_key = credentials if scheme.lower() == "bearer" and credentials else None
    return length, api_key or None, is_json


class OrderIntake:
    """ASGI middleware: serves ``POST /v1/orders`` directly when it can, passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        length, api_key, is_json = _presented_key(scope["headers"])
        if length is None or not is_json:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        request = self._parse(body)
        if request is None:
            await self.app(scope, _replay(body, receive), send)
            return
        await self._place(scope, send, request, api_key)

    @staticmethod
    def _parse(body: bytes) -> OrderRequest | None:
        try:
            data = orjson.loads(body)
            return OrderRequest.model_validate(data) if type(data) is dict else None
        except (orjson.JSONDecodeError, ValidationError):
            return None

    async def _place(self, scope: Scope, send: Send, body: OrderRequest, api_key: str | None) -> None:
        state = scope["app"].state
        started = time.perf_counter()
        try:
            try:
                order, new = await state.desk.place(api_key, body)
            except ApiError as err:
                if err.code not in _CALLER_REFUSED:
                    metrics.order_rejected(err.code)
                raise
        except Exception as exc:  # answered as the app's exception handlers answer it
            await (await response_for(Request(scope), exc))(scope, _no_body, send)
            return
        metrics.order_answered(new=new, seconds=time.perf_counter() - started)
        content = order.__pydantic_serializer__.to_json(order)
        await send({"type": "http.response.start", "status": 201 if new else 200,
                    "headers": [*_JSON_HEADERS, (b"content-length", b"%d" % len(content))]})
        await send({"type": "http.response.body", "body": content})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read, then whatever the connection says next."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _no_body() -> dict[str, Any]:
    return {"type": "http.disconnect"}
