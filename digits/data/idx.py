"""The IDX format MNIST ships in: a 4-byte magic number, big-endian uint32 sizes, raw bytes.

Everything the header claims is checked against the real length before any array is made,
so a corrupt or truncated file is a clear error, never a crash or a huge allocation.
"""

import math
import struct
from pathlib import Path

import numpy as np

from digits.core.errors import PipelineError

UBYTE = 0x08  # the only element type MNIST uses
IMAGE_SIDE = 28
NUM_CLASSES = 10


def parse_idx(data: bytes, name: str, ndim: int) -> np.ndarray:
    """Parse an IDX payload of unsigned bytes with `ndim` dimensions into a read-only array."""
    if len(data) < 4:
        raise PipelineError(f"{name}: not an IDX file: {len(data)} bytes is shorter than the 4-byte magic number")
    if data[:2] != b"\0\0":
        raise PipelineError(f"{name}: not an IDX file: magic number 0x{data[:4].hex()} does not start with 0x0000")
    if data[2] != UBYTE:
        raise PipelineError(f"{name}: unsupported IDX element type 0x{data[2]:02x}, expected 0x08 (unsigned byte)")
    if data[3] != ndim:
        raise PipelineError(f"{name}: IDX header says {data[3]} dimensions, expected {ndim}")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise PipelineError(f"{name}: truncated IDX header ({len(data)} of {header_size} bytes)")
    dims = struct.unpack(f">{ndim}I", data[4:header_size])
    expected = header_size + math.prod(dims)
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has trailing bytes"
        raise PipelineError(
            f"{name}: {problem}: header promises shape {dims} ({expected} bytes), file has {len(data)} bytes"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims)


def read_idx(path: Path, ndim: int) -> np.ndarray:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found (run the download stage first)") from None
    return parse_idx(data, str(path), ndim)


def read_mnist_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 in 0..9, checked against each other."""
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise PipelineError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28")
    if len(images) != len(labels):
        raise PipelineError(f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path}")
    if len(images) == 0:
        raise PipelineError(f"{images_path}: holds no images")
    if labels.max() >= NUM_CLASSES:
        raise PipelineError(f"{labels_path}: label {labels.max()} is not a digit 0-9")
    return images, labels
