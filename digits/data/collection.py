"""Collected digits: pictures people corrected on the page (`digits serve --collect`) or imported
(`digits collect`), kept as DIR/<digit>/<sha256 of the PNG>.png and versioned with `dvc add`.

Each picture is stored as the model saw it: 28x28, white ink on black, as MNIST itself (the output
of imageprep.model_view), re-encoded as an 8-bit grayscale PNG. So the name is a hash of what is
learned from, the same picture is stored once, and no part of a path comes from a request.
Writes go to a hidden temporary file in the digit's folder and are renamed into place; readers
skip hidden files, and the temporaries of a killed writer are swept by the next `Collection`.
"""

import fcntl
import hashlib
import io
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from digits.core.errors import PipelineError
from digits.data.idx import IMAGE_SIDE
from digits.data.splits import Normalization, Split, make_split

NAME = re.compile(r"[0-9a-f]{64}\.png")  # <sha256 of the file's bytes>.png
TEMP_SUFFIX = ".tmp"  # hidden: ".<name>.<random>.tmp"
DIGITS = range(10)
STALE_SECONDS = 60  # a temporary this old belongs to no live writer (a store takes milliseconds)


class CollectionError(Exception):
    """A picture that cannot be stored; `status` is the HTTP status the server answers with, `reason` the
    refusal's name in the server's /metrics."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason


def encode_png(pixels: np.ndarray) -> bytes:
    """(28, 28) uint8 -> the bytes of a grayscale PNG (the same pixels always give the same bytes)."""
    assert pixels.shape == (IMAGE_SIDE, IMAGE_SIDE) and pixels.dtype == np.uint8, (pixels.shape, pixels.dtype)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=False, compress_level=9)
    return buffer.getvalue()


def holdout_share(name: str) -> float:
    """A picture's place in [0, 1) from its content hash: below `collected.holdout` it is held out.
    Adding pictures never moves one from one side to the other. 13 hex digits: 52 bits, exact in a float
    (16 digits would round the largest names up to 1.0)."""
    return int(name[:13], 16) / 16**13


@dataclass(frozen=True)
class Stored:
    path: str  # relative to the collection's root, e.g. "7/<sha256>.png"
    created: bool  # False when the same picture was already stored


class Collection:
    """The folder DIR; `max_files` (None: no limit) caps how many pictures it holds."""

    def __init__(self, root: Path, max_files: int | None = None, stale_seconds: float = STALE_SECONDS) -> None:
        self.root, self.max_files = Path(root), max_files
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:  # a file in the way, no permission: the user's to fix, before anything starts
            raise PipelineError(f"{root}: cannot make the collection folder: {err.strerror or err}") from None
        self.sweep(stale_seconds)

    def sweep(self, stale_seconds: float) -> None:
        """Remove the temporaries of killed writers: those older than `stale_seconds` (a live writer's are not)."""
        for stale in self.root.glob(f"[0-9]/.*{TEMP_SUFFIX}"):
            with suppress(FileNotFoundError):  # its writer finished, or another sweep got there first
                if time.time() - stale.stat().st_mtime >= stale_seconds:
                    stale.unlink()

    def pictures(self) -> list[tuple[Path, int]]:
        return self.pictures_in(self.root)

    @staticmethod
    def pictures_in(root: Path) -> list[tuple[Path, int]]:
        """(file, label) of every picture under `root`, sorted by label then name; hidden files skipped."""
        return [(path, digit) for digit in DIGITS for path in sorted(root.glob(f"{digit}/[!.]*"))]

    def count(self) -> int:
        return sum(1 for _ in self.pictures())

    def store(self, pixels: np.ndarray, label: int) -> Stored:
        """Store a (28, 28) uint8 model view under its label; CollectionError when it cannot be."""
        if label not in DIGITS:
            raise CollectionError(422, f"label must be a digit 0-9, not {label}", "bad_label")
        data = encode_png(pixels)
        name = hashlib.sha256(data).hexdigest() + ".png"
        with self.locked():  # one writer at a time, across processes: the quota and labels stay exact
            for digit in DIGITS:
                if digit != label and (self.root / str(digit) / name).exists():
                    article = "an" if digit == 8 else "a"
                    raise CollectionError(
                        409, f"this picture is already collected as {article} {digit}: {digit}/{name}", "label_conflict"
                    )
            target = self.root / str(label) / name
            if target.exists():
                return Stored(f"{label}/{name}", created=False)
            if self.max_files is not None and self.count() >= self.max_files:
                raise CollectionError(
                    409, f"the collection is full: {self.max_files} pictures (--collect-max)", "collection_full"
                )
            try:
                write_durably(target, data)
            except OSError as err:  # a full disk, a read-only folder: this request fails, the server goes on
                raise CollectionError(
                    507, f"cannot store the picture: {err.strerror or err}", "storage_failed"
                ) from None
        return Stored(f"{label}/{name}", created=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """An exclusive flock on the root folder itself (no lock file in what DVC tracks)."""
        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def write_durably(target: Path, data: bytes) -> None:
    """Write to a hidden temporary beside `target`, fsync, rename into place: all of it or nothing."""
    target.parent.mkdir(exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}{TEMP_SUFFIX}")
    try:
        with open(temp, "xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def read_picture(path: Path) -> np.ndarray:
    """A stored picture -> (28, 28) uint8; PipelineError naming the file when it is not one."""
    where = f"{path.parent.name}/{path.name}"
    if not NAME.fullmatch(path.name):
        raise PipelineError(f"{where}: not a collected picture (names are <sha256>.png; import with `digits collect`)")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() + ".png" != path.name:
        raise PipelineError(f"{where}: its content does not match its name (edited after it was stored?)")
    with Image.open(io.BytesIO(data)) as image:
        if image.mode != "L" or image.size != (IMAGE_SIDE, IMAGE_SIDE):
            raise PipelineError(f"{where}: not a 28x28 grayscale PNG ({image.mode} {image.size[0]}x{image.size[1]})")
        return np.asarray(image, dtype=np.uint8)


def collected_splits(root: Path, holdout: float, norm: Normalization) -> dict[str, Split]:
    """The collected pictures under `root` (none when it is missing), normalized like MNIST and split
    into "train" and "holdout" by each picture's content hash: holdout_share(name) < `holdout`."""
    pictures = [(read_picture(path), label, path.name) for path, label in Collection.pictures_in(root)]
    splits = {}
    for name, held in (("train", False), ("holdout", True)):
        chosen = [(pixels, label) for pixels, label, file in pictures if (holdout_share(file) < holdout) == held]
        images = (
            np.stack([pixels for pixels, _ in chosen]) if chosen else np.zeros((0, IMAGE_SIDE, IMAGE_SIDE), np.uint8)
        )
        splits[name] = make_split(images, np.array([label for _, label in chosen], dtype=np.int64), norm)
    return splits
