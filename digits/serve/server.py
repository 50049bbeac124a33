"""`digits serve`: load the model once, listen (on loopback unless told otherwise), run uvicorn: in this
process, or in N worker processes forked from it (digits/serve/workers.py)."""

import logging
import os
import socket
import sys
from contextlib import ExitStack
from pathlib import Path

import torch
import uvicorn
from PIL import Image

from digits.core.errors import PipelineError
from digits.data.idx import IMAGE_SIDE
from digits.model.checkpoint import Checkpoint, load_checkpoint
from digits.prediction.model_info import describe, file_md5
from digits.prediction.predict import probabilities
from digits.serve.drain import GRACE_SECONDS, Drain, DrainingServer
from digits.serve.metrics_dir import metrics_folder
from digits.serve.settings import Settings

log = logging.getLogger("digits.serve")
# One thread inside torch: concurrent requests already keep the cores busy (decoding on other
# threads, HTTP on the event loop); with two intra-op threads fighting them, a forward pass was
# 10-40x slower when measured on the 2-core reference machine.
TORCH_THREADS = 1


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one. Failing to bind is the user's error (one line)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        raise PipelineError(f"cannot listen on {host}:{port}: {reason}") from None


def configure_logging() -> None:
    """Our lines (one per request) at INFO on stderr; uvicorn's own only when something is wrong."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    for name, level in (("digits.serve", logging.INFO), ("uvicorn", logging.WARNING)):
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).addHandler(handler)


def warm_up(checkpoint: Checkpoint) -> None:
    """Pay the one-time costs before the first request does: Pillow's format plugins, torch's kernels."""
    Image.init()
    probabilities(checkpoint.model, torch.zeros(1, 1, IMAGE_SIDE, IMAGE_SIDE))


def url(sock: socket.socket) -> str:
    """http://ADDRESS:PORT/ of a listening socket (the port it got, for --port 0)."""
    address, port = sock.getsockname()[:2]
    return f"http://{f'[{address}]' if ':' in address else address}:{port}/"


def run_here(app: object, sock: socket.socket, drain: Drain) -> None:
    """One process: uvicorn here, until SIGINT (KeyboardInterrupt, after a graceful shutdown) or SIGTERM
    (drained, then return: exit status 0)."""
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_config=None,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=GRACE_SECONDS,
    )
    DrainingServer(config, drain).run(sockets=[sock])


def serve(model_path: Path, host: str, port: int, settings: Settings, workers: int = 1, drain_delay: float = 0) -> None:
    checkpoint = load_checkpoint(model_path)  # missing or broken: a PipelineError, before anything listens
    info = {**describe(checkpoint, model_path), "md5": file_md5(model_path)}
    with ExitStack() as stack:
        if workers > 1:
            stack.enter_context(metrics_folder())
        # imported only now: prometheus-client reads PROMETHEUS_MULTIPROC_DIR when it is first imported
        from digits.serve.app import create_app

        drain = Drain(drain_delay)
        app = create_app(checkpoint, info, settings, drain)  # a --collect folder that cannot be made: a PipelineError
        app.state.drain = drain  # for the workers' uvicorn servers
        sock = listen(host, port)
        configure_logging()
        torch.set_num_threads(TORCH_THREADS)
        warm_up(checkpoint)  # before forking: the workers share what it loaded
        if settings.collect_dir:
            log.info(
                "collecting corrected digits in %s (at most %d pictures)", settings.collect_dir, settings.collect_max
            )
        processes = f", {workers} worker processes" if workers > 1 else ""
        log.info(
            "serving %s (md5 %s, %s%s) on %s", model_path, info["md5"], checkpoint.architecture, processes, url(sock)
        )
        if workers > 1:
            from digits.serve.workers import run_workers  # gunicorn: on Windows, only --workers 1 serves

            run_workers(app, sock, workers, drain_delay)
        else:
            run_here(app, sock, drain)
