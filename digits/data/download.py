"""Fetch gzipped IDX files from an ordered list of mirrors and keep only verified payloads.

A mirror is an http(s) URL, a file:// URL or a local directory. Each file is decompressed
while it streams in and the SHA-256 of the payload is checked, so a mirror that re-compresses
still passes and a wrong or corrupted file never does.
"""

import gzip
import hashlib
import http.client
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from digits.core.errors import PipelineError

MIRROR_ENV = "MNIST_MIRROR"  # one more source, tried before params.yaml's mirrors
CHUNK_BYTES = 1 << 16
RETRYABLE_HTTP = {408, 425, 429, 500, 502, 503, 504}


class SourceFailed(Exception):
    """One attempt at one source failed; `transient` failures are worth another attempt."""

    def __init__(self, reason: str, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


def sources_with_env(mirrors: Sequence[str], environ: dict[str, str] | None = None) -> list[str]:
    extra = (os.environ if environ is None else environ).get(MIRROR_ENV, "").strip()
    return [extra, *mirrors] if extra else list(mirrors)


def is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in ("http", "https")


def local_path(source: str, root: Path) -> Path:
    """A file:// URL or a directory; relative directories are taken from the project root."""
    if source.startswith("file:"):
        return Path(urllib.request.url2pathname(urllib.parse.urlsplit(source).path))
    return root / Path(source).expanduser()


def open_source(source: str, filename: str, root: Path, timeout: float) -> tuple[BinaryIO, int | None]:
    """Open `filename` on one source; returns the byte stream and its length when known."""
    if is_url(source):
        url = urllib.parse.urljoin(source.rstrip("/") + "/", filename)
        request = urllib.request.Request(url, headers={"User-Agent": "digits-mnist-download"})  # noqa: S310
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http(s) only, checked above)
        length = response.headers.get("Content-Length")
        return response, int(length) if length and length.isdigit() else None
    path = local_path(source, root) / filename
    return path.open("rb"), path.stat().st_size


def copy_payload(stream: BinaryIO, length: int | None, dest: Path, progress: Callable[[int], object]) -> str:
    """Gunzip `stream` into `dest`; returns the SHA-256 hex digest of the decompressed bytes."""
    digest = hashlib.sha256()
    counted = CountingReader(stream, length, progress)
    with gzip.GzipFile(fileobj=counted) as payload, dest.open("wb") as out:
        while chunk := payload.read(CHUNK_BYTES):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


class TransferCutShort(ConnectionError):
    """The connection ended before the promised Content-Length arrived."""


class CountingReader:
    """A file-like wrapper that reports the compressed bytes going by (for the progress bar) and
    tells a connection closed early apart from a truncated file."""

    def __init__(self, stream: BinaryIO, length: int | None, progress: Callable[[int], object]) -> None:
        self.stream, self.length, self.progress, self.total = stream, length, progress, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.total += len(data)
        self.progress(len(data))
        if not data and size != 0 and self.length is not None and self.total < self.length:
            raise TransferCutShort(f"connection closed after {self.total} of {self.length} bytes")
        return data


def fetch_once(source: str, name: str, expected: str, dest: Path, root: Path, timeout: float) -> None:
    """One attempt: stream `name`.gz from `source` into `dest` and verify it, or raise SourceFailed."""
    part = dest.with_name(dest.name + ".part")
    try:
        stream, length = open_source(source, name + ".gz", root, timeout)
        with stream, tqdm(total=length, desc=name, unit="B", unit_scale=True, disable=None, leave=False) as bar:
            actual = copy_payload(stream, length, part, bar.update)
        if actual != expected:
            raise SourceFailed(f"checksum mismatch: payload sha256 {actual}, expected {expected}", transient=False)
        os.replace(part, dest)
    except OSError as err:
        if isinstance(err, urllib.error.HTTPError):
            err.close()  # it holds the response's socket
        raise classify(err) from None
    except http.client.HTTPException as err:  # e.g. IncompleteRead: the connection closed early
        raise SourceFailed(f"network error: {describe(err)}", transient=True) from None
    except (EOFError, zlib.error) as err:
        raise SourceFailed(f"corrupt or truncated gzip data ({describe(err)})", transient=False) from None
    finally:
        part.unlink(missing_ok=True)


def classify(err: OSError) -> SourceFailed:
    if isinstance(err, urllib.error.HTTPError):
        return SourceFailed(f"HTTP {err.code} {err.reason}", transient=err.code in RETRYABLE_HTTP)
    if isinstance(err, gzip.BadGzipFile):
        return SourceFailed(f"not a gzip file ({err})", transient=False)
    if isinstance(err, FileNotFoundError | IsADirectoryError | NotADirectoryError | PermissionError):
        return SourceFailed(f"cannot read {err.filename}: {err.strerror}", transient=False)
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    return SourceFailed(f"network error: {describe(reason)}", transient=True)


def describe(err: object) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def download_file(
    name: str,
    sources: Sequence[str],
    expected: str,
    dest: Path,
    *,
    root: Path,
    timeout: float,
    retries: int,
    backoff: float = 0.5,
) -> str:
    """Try each source in order (with `retries` more attempts on transient errors) until one
    delivers a payload with the expected SHA-256; returns the source used."""
    failures = []
    for source in sources:
        for attempt in range(retries + 1):
            try:
                fetch_once(source, name, expected, dest, root, timeout)
                return source
            except SourceFailed as failed:
                reason = failed
                if not failed.transient or attempt == retries:
                    break
                time.sleep(min(backoff * 2**attempt, 8.0))
        tries = f" (after {attempt + 1} attempts)" if attempt else ""
        failures.append(f"  {source}: {reason}{tries}")
    raise PipelineError(f"{name}.gz: no source delivered a verified file:\n" + "\n".join(failures))
