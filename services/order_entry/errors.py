"""Every error the API returns: JSON ``{"code", "message", "details"}`` with a stable code, and the handlers
that turn validation errors, HTTP errors and server faults into that shape (never a raw 500)."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.order_entry.body_limit import MAX_BODY_BYTES

log = logging.getLogger(__name__)

#: Codes for HTTP errors raised by the framework itself (unknown route, wrong method, ...).
STATUS_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR", 429: "RATE_LIMITED", 503: "SERVICE_UNAVAILABLE",
}


class ErrorBody(BaseModel):
    """The shape of every error response."""

    code: str = Field(examples=["PRICE_OUTSIDE_BAND"])
    message: str
    details: dict[str, Any] = {}


class ApiError(Exception):
    """An error with a stable code; raise it anywhere below a route."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers


def not_found(what: str, item_id: str) -> ApiError:
    return ApiError(404, f"{what.upper()}_NOT_FOUND", f"no {what} {item_id!r}", {what: item_id})


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the error shape for each status."""
    return {status: {"model": ErrorBody, "description": STATUS_CODES.get(status, "error")} for status in statuses}


def _json(status: int, code: str, message: str, details: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"code": code, "message": message, "details": details or {}}
    return JSONResponse(body, status_code=status, headers=headers)


def _plain(value: Any) -> Any:
    """Validation error contexts may hold exceptions or bytes: keep only JSON-safe values."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value if not isinstance(value, str) else value[:200]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value[:20]]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in list(value.items())[:20]}
    return str(value)[:200]


async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
    return _json(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": _plain(list(err.get("loc", ()))), "type": err.get("type"), "msg": _plain(err.get("msg"))}
        for err in exc.errors()[:20]
    ]
    malformed = any(err["type"] == "json_invalid" for err in errors)
    code, message = ("MALFORMED_JSON", "the body is not valid JSON") if malformed else (
        "VALIDATION_ERROR", "the request does not match the schema")
    return _json(400 if malformed else 422, code, message, {"errors": errors})


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = STATUS_CODES.get(exc.status_code, "HTTP_ERROR")
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    details = {"max_bytes": MAX_BODY_BYTES} if exc.status_code == 413 else None
    return _json(exc.status_code, code, str(exc.detail), details, headers=headers)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method some route of the path takes (the router names only the first route that matched the path),
    found by asking the routes, since included routers keep theirs inside."""
    routes = request.app.router.routes
    allowed = [method for method in _METHODS
               if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]
    return ", ".join(allowed)


async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.error("dependency unavailable: %r", exc)
    return _json(503, "SERVICE_UNAVAILABLE", "a backing service is unavailable, retry later",
                 {"dependency": "kafka" if isinstance(exc, KafkaError) else "redis"}, {"Retry-After": "1"})


async def _fault(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error: %r", exc)
    return _json(500, "INTERNAL_ERROR", "an internal error occurred")


#: Failures of a backing service: answered 503, retry later.
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, KafkaError, ConnectionError, TimeoutError)


async def response_for(request: Request, exc: Exception) -> JSONResponse:
    """What the installed handlers answer for `exc`, for a route served outside FastAPI's routing."""
    if isinstance(exc, ApiError):
        return await _api_error(request, exc)
    if isinstance(exc, UNAVAILABLE):
        return await _unavailable(request, exc)
    return await _fault(request, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for exc_type in UNAVAILABLE:
        app.add_exception_handler(exc_type, _unavailable)
    app.add_exception_handler(Exception, _fault)
