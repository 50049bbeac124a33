"""One log line per request: method, path, status, milliseconds."""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("digits.serve")


class RequestLog:
    """ASGI middleware, outermost, so refusals by the other middleware are logged too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500  # 500 unless a response starts: an exception escaped

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            # raw_path is still percent-encoded: a path cannot break the line or forge another one
            path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
            log.info("%s %s %d %.1f ms", scope["method"], path, status, (time.perf_counter() - start) * 1000)
