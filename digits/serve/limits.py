"""The request body size limit, enforced before the app reads anything.

A declared Content-Length over the limit is refused at once, without reading the body; a body
without one (chunked) is counted as it streams in and refused as soon as it passes the limit.
uvicorn reads the socket only as fast as the app consumes the body, so a refused upload is never
held in memory. (FastAPI's own `max_body_size` answers a declared oversized body with a text/plain
"Content Too Large"; every error of this API is JSON.)
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digits.serve.errors import ApiError, error_response
from digits.serve.settings import MAX_BODY_BYTES


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: the limit is {limit} bytes")


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header as a number; None when absent; -1 when it is not a number."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.strip().isdigit() else -1
    return None


class BodyLimit:
    """ASGI middleware: 413 for bodies over `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and not 0 <= declared <= self.limit:
            too_large = declared > 0
            message = BodyTooLarge(self.limit).message if too_large else "bad Content-Length"
            await error_response(413 if too_large else 400, message)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge(self.limit)  # answered by the app's ApiError handler
            return message

        await self.app(scope, counted, send)
