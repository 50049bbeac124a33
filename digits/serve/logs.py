"""One log line per request (method, path, status, milliseconds), and its count in /metrics."""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digits.serve.metrics import record

log = logging.getLogger("digits.serve")


class RequestLog:
    """ASGI middleware, outermost, so refusals by the other middleware are logged too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status, counted = time.perf_counter(), 500, False  # 500 unless a response starts

        async def send_and_note(message: Message) -> None:
            nonlocal status, counted
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # counted before the client has the whole answer: a scrape it sends next sees this one
                record(scope, status, time.perf_counter() - start)
                counted = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            if not counted:  # an exception escaped, or the client left before the last byte
                record(scope, status, time.perf_counter() - start)
            # raw_path is still percent-encoded: a path cannot break the line or forge another one
            path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
            log.info("%s %s %d %.1f ms", scope["method"], path, status, (time.perf_counter() - start) * 1000)
