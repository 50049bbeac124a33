"""`digits serve --workers N` (N >= 2): gunicorn's master process forks N uvicorn workers.

The master has loaded the model and built the app (server.py) before it forks, so each worker starts
in milliseconds and shares the model's and torch's memory pages with the others (copy-on-write). They
all accept connections on the one socket server.py bound (`--port 0` keeps working: gunicorn takes it as
`fd://N`). A worker that dies is replaced by a new fork while the others go on answering; its live
gauges leave /metrics (mark_process_dead) and its counts stay. SIGTERM: every worker drains
(digits/serve/drain.py) and the master exits 0 once they have; SIGINT: the same, then exit 130.
"""

import gc
import math
import os
import signal
import socket
import sys
from types import FrameType
from typing import Any

from fastapi import FastAPI
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from prometheus_client import multiprocess
from uvicorn_worker import UvicornWorker

from digits.core.errors import PipelineError
from digits.serve.drain import GRACE_SECONDS, DrainingServer

KEEP_ALIVE_SECONDS = 5  # uvicorn's default, as with one process (gunicorn's would be 2)


def interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class DigitsWorker(UvicornWorker):
    """uvicorn in a gunicorn worker, with SIGTERM handled as digits/serve/drain.py says."""

    CONFIG_KWARGS = {  # noqa: RUF012 (uvicorn-worker's own name for its class-level settings)
        "loop": "auto",
        "http": "auto",
        "access_log": False,
        "timeout_graceful_shutdown": GRACE_SECONDS,
    }

    async def _serve(self) -> None:
        self.config.app = self.wsgi
        server = DrainingServer(self.config, self.wsgi.state.drain, parent=self.ppid)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)  # the master stops: a worker that cannot start

    def init_signals(self) -> None:
        super().init_signals()  # uvicorn-worker resets them to the defaults; uvicorn installs its own
        # uvicorn raises a SIGINT again once it has shut down: a KeyboardInterrupt (ended below, exit status
        # 0), not death by the signal, which the master would report as "Worker ... was sent SIGINT!".
        # Not signal.default_int_handler: asyncio would then cancel the loop's task on SIGINT itself.
        signal.signal(signal.SIGINT, interrupted)

    def init_process(self) -> None:
        """Serve, then end the process here: a forked worker must not unwind into the master's code
        (its `finally` blocks would remove the metrics folder, close what the master holds)."""
        status = 0
        try:
            super().init_process()
        except SystemExit as stop:  # gunicorn's way out of a worker, with the status the master reads
            status = stop.code if isinstance(stop.code, int) else 1
        except KeyboardInterrupt:  # SIGINT: uvicorn raises it again once it has shut down
            status = 0
        os._exit(status)


def worker_exited(arbiter: Arbiter, worker: Any) -> None:
    """gunicorn's child_exit hook, in the master: a dead worker's live gauges leave /metrics."""
    multiprocess.mark_process_dead(worker.pid)


class Supervisor(Arbiter):
    interrupted = False

    def handle_int(self) -> None:
        """SIGINT: gunicorn would kill the workers at once (SIGQUIT); here they drain as on SIGTERM (which
        halt() sends them). Ctrl-C in a terminal also sends the workers SIGINT: uvicorn's own graceful
        shutdown, to which the SIGTERM adds nothing (a second SIGINT would make uvicorn skip the app's
        shutdown)."""
        self.interrupted = True
        raise StopIteration  # gunicorn's way to its graceful halt(): it waits for the workers


class Workers(BaseApplication):
    """gunicorn, configured here, not from its command line or a gunicorn.conf.py."""

    def __init__(self, app: FastAPI, options: dict[str, Any]) -> None:
        self.app, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> FastAPI:
        return self.app


def run_workers(app: FastAPI, sock: socket.socket, workers: int, drain_delay: float) -> None:
    """Serve `app` (app.state.drain set) from `workers` forks of this process on `sock`, until a signal."""
    options = {
        "bind": [f"fd://{sock.detach()}"],  # gunicorn takes the file descriptor over (and closes it)
        "workers": workers,
        "worker_class": DigitsWorker,
        "preload_app": True,
        "graceful_timeout": math.ceil(drain_delay) + GRACE_SECONDS + 5,  # seconds: then the master kills the rest
        "keepalive": KEEP_ALIVE_SECONDS,
        "backlog": 2048,
        "child_exit": worker_exited,
        "loglevel": "warning",  # gunicorn's lines only when something is wrong, e.g. a worker killed
        "control_socket_disable": True,  # gunicorn's runtime control socket: nothing here uses it
    }
    supervisor = Supervisor(Workers(app, options))
    # What is allocated so far (torch, the model, the app) leaves the garbage collector's view: a full
    # collection in a worker would otherwise write to every object's pages and copy them from the master
    # (measured: a worker's private memory stepped from 30 to 73 MB after 10,000-15,000 requests).
    gc.freeze()
    try:
        supervisor.run()  # always ends in sys.exit(), 0 once the workers have stopped
    except SystemExit as stop:
        if stop.code:
            raise PipelineError(f"the worker processes stopped (gunicorn exit status {stop.code}): see above") from None
    if supervisor.interrupted:
        raise KeyboardInterrupt
