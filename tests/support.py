"""Test helpers: synthetic MNIST-shaped IDX data and a loopback HTTP mirror with injectable faults."""

import gzip
import hashlib
import http.server
import json
import os
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from digits.core.params import MNIST_FILES


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array in the IDX format (magic 0x0000 08 ndim, big-endian sizes, data)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def synthetic_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Learnable fake digits: each class is its own 5x5 glyph drawn 2x (10x10 pixels) near the
    centre, shifted by up to 3 pixels, on a noisy background. Every class is present.

    Returns images (n, 28, 28) uint8 and labels (n,) uint8.
    """
    glyphs = np.random.default_rng(1234).random((10, 5, 5)) > 0.5  # the same glyphs for every seed
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 10).astype(np.uint8)
    rng.shuffle(labels)
    images = rng.integers(0, 50, size=(n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        top, left = 9 + rng.integers(-3, 4, size=2)
        ink = np.kron(glyphs[label], np.ones((2, 2), dtype=bool))
        images[i, top : top + 10, left : left + 10][ink] = 255
    return images, labels


def synthetic_mnist(n_train: int = 600, n_test: int = 200, seed: int = 0) -> dict[str, bytes]:
    """The four MNIST payloads (decompressed IDX bytes) of a small synthetic dataset."""
    train_images, train_labels = synthetic_digits(n_train, seed)
    test_images, test_labels = synthetic_digits(n_test, seed + 1)
    arrays = (train_images, train_labels, test_images, test_labels)
    return {name: idx_bytes(array) for name, array in zip(MNIST_FILES, arrays, strict=True)}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gz(data: bytes, level: int = 9) -> bytes:
    """gzip with a fixed mtime, so the same payload and level give the same bytes."""
    return gzip.compress(data, compresslevel=level, mtime=0)


def write_mirror(folder: Path, payloads: dict[str, bytes], level: int = 9) -> Path:
    """A local-directory mirror holding `<name>.gz` for each payload."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in payloads.items():
        (folder / f"{name}.gz").write_bytes(gz(data, level))
    return folder


@dataclass
class Fault:
    """How the server answers one path: a status, a body cut after `cut_after` bytes, silence, a redirect."""

    status: int = 200
    cut_after: int | None = None  # close the connection after this many body bytes
    hang: bool = False  # accept, then never answer
    redirect_to: str | None = None


@dataclass
class MirrorServer:
    """A loopback HTTP server; `files` maps URL paths to bodies and `faults` overrides answers."""

    files: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def serve_mirror(self, prefix: str, payloads: dict[str, bytes], level: int = 9) -> str:
        for name, data in payloads.items():
            self.files[f"{prefix}/{name}.gz"] = gz(data, level)
        return f"{self.url}{prefix}/"


def make_handler(server: MirrorServer, stop: threading.Event) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append(self.path)
            fault = server.faults.get(self.path, Fault())
            if fault.hang:
                stop.wait(30)  # bounded, so a broken test cannot hang the suite
                return
            if fault.redirect_to:
                self.send_response(302)
                self.send_header("Location", fault.redirect_to)
                self.end_headers()
                return
            body = server.files.get(self.path)
            if body is None or fault.status != 200:
                self.send_error(404 if body is None else fault.status)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body if fault.cut_after is None else body[: fault.cut_after])

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def mirror_server() -> Iterator[MirrorServer]:
    """Start a MirrorServer on 127.0.0.1 (a free port) for the duration of the block."""
    state, stop = MirrorServer(), threading.Event()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, stop))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], dict]) -> tuple[Path, dict]:
    """Build `name` once for the whole run, whatever the number of pytest-xdist workers: the first worker that
    asks runs `build(folder)` under a file lock and records what it returns (JSON); the others wait for it, then
    read the record. The workers' temporary folders share a parent; without xdist there is one folder."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, record = shared / name, shared / f"{name}.json"
    with FileLock(shared / f"{name}.lock"):
        if not record.exists():
            record.write_text(json.dumps(build(folder)))
    return folder, json.loads(record.read_text())
