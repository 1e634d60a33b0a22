"""The hot route, ``POST /v1/orders``, served as a plain ASGI handler ahead of FastAPI's middleware and routing.

FastAPI's per-request machinery (its telemetry check and middleware, routing through every included router, the
dependency graph, validating the body field, serialising through the response model) cost about as much CPU per
order as everything the order desk does. ``OrderEntryApp``, the service's FastAPI app, gives this handler every
``POST /v1/orders``; it serves a body that is a JSON object ``OrderRequest`` accepts as the FastAPI route does:
the same key check and rate limit and the same roles (``OrderDesk.place``, in one Redis call with the order's
reads), the same metrics, the same error JSON (``errors.response_for``). Anything else (no Content-Length or one
over the body limit, another content type, a body that does not parse or validate) goes on to FastAPI unchanged
with its body, so every other answer stays FastAPI's own. The route stays registered there: it is what
``/openapi.json`` documents.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.order_entry import prometheus_metrics as metrics
from services.order_entry.body_limit import MAX_BODY_BYTES
from services.order_entry.errors import ApiError, response_for
from services.order_entry.schemas import OrderRequest

__all__ = ["OrderEntryApp"]

PATH = "/v1/orders"
#: Refusals of the caller, not of the order: the FastAPI route's dependencies raise them, uncounted.
_CALLER_REFUSED = frozenset({"UNAUTHENTICATED", "INVALID_API_KEY", "RATE_LIMITED", "FORBIDDEN"})
_JSON_HEADERS = [(b"content-type", b"application/json")]


class OrderEntryApp(FastAPI):
    """FastAPI, with ``POST /v1/orders`` taken by ``place_order`` before the middleware stack."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST":
            scope["app"] = self
            await place_order(scope, receive, send, super().__call__)
        else:
            await super().__call__(scope, receive, send)


def _request_headers(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, str | None, bool]:
    """(Content-Length, the API key presented, whether the body is declared JSON) from the raw headers; the key
    as FastAPI's ``APIKeyHeader`` and ``HTTPBearer`` read it (first header of a name; a bearer token)."""
    length = api_key = authorization = None
    is_json = False
    for name, value in headers:
        if name == b"content-length" and length is None:
            length = int(value) if value.isdigit() else -1
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


async def place_order(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
    """Serve a new order, or pass the request on to `app` (FastAPI) when it is anything but a plain one."""
    length, api_key, is_json = _request_headers(scope["headers"])
    if length is None or not 0 <= length <= MAX_BODY_BYTES or not is_json:
        await app(scope, receive, send)
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
    request = _parse(body)
    if request is None:
        await app(scope, _replay(body, receive), send)
        return
    started = time.perf_counter()
    try:
        try:
            order, new = await scope["app"].state.desk.place(api_key, request)
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


def _parse(body: bytes) -> OrderRequest | None:
    try:
        data = orjson.loads(body)
        return OrderRequest.model_validate(data) if type(data) is dict else None
    except (orjson.JSONDecodeError, ValidationError):
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read, then whatever the connection says next."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _no_body() -> dict[str, Any]:
    return {"type": "http.disconnect"}
