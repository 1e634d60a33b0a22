"""The request body limit at the HTTP edge: a body above ``MAX_BODY_BYTES`` is refused with 413
``PAYLOAD_TOO_LARGE`` — at once when its Content-Length says so, else as soon as the bytes received pass the
limit — so a huge body is never held in memory."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Far above any order or operator request (an instrument or a linkage agreement is a few KiB).
MAX_BODY_BYTES = 64 * 1024


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"code": "PAYLOAD_TOO_LARGE", "message": f"the request body is larger than {limit} bytes",
                         "details": {"max_bytes": limit}}, status_code=413)


class BodyLimit:
    """ASGI middleware enforcing the limit on every HTTP request."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await _too_large(self.max_bytes)(scope, receive, send)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # a chunked body without Content-Length
                    raise HTTPException(413, f"the request body is larger than {self.max_bytes} bytes")
            return message

        await self.app(scope, limited, send)
