"""Graceful shutdown on SIGTERM, what a container orchestrator sends: drain, then exit 0.

On SIGTERM a server (the one process, or each worker) first reports not-ready: GET /health answers
503 {"status": "draining"} while everything else is still served, for `delay` seconds (--drain-delay,
time for a load balancer polling /health to send new traffic elsewhere). Then uvicorn's own graceful
shutdown: the listening socket is closed (new connections are refused), idle keep-alive connections
are closed, and the requests in flight are finished, for at most GRACE_SECONDS; then it exits 0.
SIGINT (Ctrl-C) skips the delay and ends with `digits: interrupted`, exit status 130, as before.
"""

import os
import signal
import time
from types import FrameType

import uvicorn

GRACE_SECONDS = 10  # for the requests in flight once the server stops accepting: then they are cancelled


class Drain:
    """Whether this process has been told to stop; the app's /health reads it."""

    def __init__(self, delay: float = 0) -> None:
        self.delay = delay  # seconds between SIGTERM and closing the listening socket
        self.since: float | None = None  # time.monotonic() of the SIGTERM

    @property
    def draining(self) -> bool:
        return self.since is not None

    def begin(self) -> None:
        if self.since is None:
            self.since = time.monotonic()

    def over(self) -> bool:
        return self.since is not None and time.monotonic() - self.since >= self.delay


class DrainingServer(uvicorn.Server):
    """uvicorn's server, with SIGTERM handled as above. A worker (`parent` given) also drains when its
    master is gone (killed by the OOM killer or SIGKILL): no worker serves on unsupervised."""

    def __init__(self, config: uvicorn.Config, drain: Drain, parent: int | None = None) -> None:
        super().__init__(config)
        self.drain, self.parent = drain, parent

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGTERM:
            super().handle_exit(sig, frame)  # SIGINT: uvicorn's shutdown, then KeyboardInterrupt
            return
        # Not passed on: uvicorn would raise SIGTERM again once it has shut down, and the process
        # would end killed by it instead of with exit status 0.
        self.drain.begin()

    async def on_tick(self, counter: int) -> bool:  # every 0.1 s
        if self.parent is not None and counter % 10 == 0 and os.getppid() != self.parent:
            self.drain.begin()
        if self.drain.over():
            self.should_exit = True  # what uvicorn's own handler sets: its graceful shutdown follows
        return await super().on_tick(counter)
