"""`digits serve`: load the model once, listen (on loopback unless told otherwise), run uvicorn."""

import logging
import os
import socket
import sys
from pathlib import Path

import torch
import uvicorn
from PIL import Image

from digits.checkpoint import Checkpoint, load_checkpoint
from digits.errors import PipelineError
from digits.idx import IMAGE_SIDE
from digits.model_info import describe, file_md5
from digits.predict import probabilities
from digits.serve.app import create_app
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


def serve(model_path: Path, host: str, port: int, settings: Settings) -> None:
    checkpoint = load_checkpoint(model_path)  # missing or broken: a PipelineError, before anything listens
    info = {**describe(checkpoint, model_path), "md5": file_md5(model_path)}
    app = create_app(checkpoint, info, settings)  # a --collect folder that cannot be made: a PipelineError too
    sock = listen(host, port)
    configure_logging()
    torch.set_num_threads(TORCH_THREADS)
    warm_up(checkpoint)
    config = uvicorn.Config(app, log_config=None, access_log=False, log_level="warning", timeout_graceful_shutdown=5)
    address, bound_port = sock.getsockname()[:2]
    url = f"http://{f'[{address}]' if ':' in address else address}:{bound_port}/"
    if settings.collect_dir:
        log.info("collecting corrected digits in %s (at most %d pictures)", settings.collect_dir, settings.collect_max)
    log.info("serving %s (md5 %s, %s) on %s", model_path, info["md5"], checkpoint.architecture, url)
    uvicorn.Server(config).run(sockets=[sock])
