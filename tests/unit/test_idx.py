"""IDX parsing: valid files round-trip; every malformed header is a one-line PipelineError."""

import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digits.core.errors import PipelineError
from digits.data.idx import parse_idx, read_mnist_pair
from tests.support import idx_bytes, synthetic_digits


def test_round_trip() -> None:
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    parsed = parse_idx(idx_bytes(images), "x", ndim=3)
    assert parsed.shape == (2, 28, 28)
    assert np.array_equal(parsed, images)


def header(ndim: int, dims: tuple[int, ...], dtype: int = 0x08) -> bytes:
    return bytes([0, 0, dtype, ndim]) + struct.pack(f">{len(dims)}I", *dims)


MALFORMED = [
    (b"\0\0", 1, "shorter than the 4-byte magic number"),
    (b"\x1f\x8b\x08\x00" + bytes(20), 1, "magic number 0x1f8b0800 does not start with 0x0000"),
    (header(1, (3,), dtype=0x0D) + bytes(12), 1, "unsupported IDX element type 0x0d"),
    (header(3, (1, 28, 28)) + bytes(784), 1, "IDX header says 3 dimensions, expected 1"),
    (header(3, (1,)), 3, "truncated IDX header (8 of 16 bytes)"),
    (header(1, (10,)) + bytes(9), 1, "truncated: header promises shape (10,) (18 bytes), file has 17 bytes"),
    (header(1, (10,)) + bytes(11), 1, "has trailing bytes"),
    # a header that claims billions of images is caught by the size check, before any allocation
    (header(3, (4_000_000_000, 28, 28)) + bytes(100), 3, "truncated: header promises shape (4000000000, 28, 28)"),
]


@pytest.mark.parametrize(("data", "ndim", "message"), MALFORMED)
def test_malformed(data: bytes, ndim: int, message: str) -> None:
    with pytest.raises(PipelineError) as caught:
        parse_idx(data, "file.idx", ndim)
    assert str(caught.value).startswith("file.idx: ")
    assert message in str(caught.value)


def write_pair(tmp_path: Path, images: np.ndarray, labels: np.ndarray) -> tuple[Path, Path]:
    (tmp_path / "images").write_bytes(idx_bytes(images))
    (tmp_path / "labels").write_bytes(idx_bytes(labels))
    return tmp_path / "images", tmp_path / "labels"


def test_read_pair(tmp_path: Path) -> None:
    images, labels = synthetic_digits(30, seed=1)
    got_images, got_labels = read_mnist_pair(*write_pair(tmp_path, images, labels))
    assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((3, 28, 28)), np.zeros(4), "4 labels for 3 images"),
        (np.zeros((3, 32, 32)), np.zeros(3), "images are 32x32, expected 28x28"),
        (np.zeros((3, 28, 28)), np.array([1, 2, 10]), "label 10 is not a digit 0-9"),
        (np.zeros((0, 28, 28)), np.zeros(0), "holds no images"),
    ],
)
def test_read_pair_rejects_inconsistent_files(
    tmp_path: Path, images: np.ndarray, labels: np.ndarray, message: str
) -> None:
    with pytest.raises(PipelineError, match=message):
        read_mnist_pair(*write_pair(tmp_path, images.astype(np.uint8), labels.astype(np.uint8)))


def test_missing_file_says_to_download(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="file not found"):
        read_mnist_pair(tmp_path / "nope", tmp_path / "nope2")


@given(
    dtype=st.sampled_from([0x08, 0x08, 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0xFF]),
    ndim=st.integers(0, 255),
    dims=st.lists(st.integers(0, 2**32 - 1), max_size=6),
    body=st.binary(max_size=2048),
    magic=st.sampled_from([b"\0\0", b"\0\0", b"\x1f\x8b", b"\0\1"]),
    expected_ndim=st.sampled_from([1, 3]),
)
@settings(max_examples=400, deadline=None)
def test_random_headers_and_bodies_never_crash(
    dtype: int, ndim: int, dims: list[int], body: bytes, magic: bytes, expected_ndim: int
) -> None:
    """Whatever the header claims (billions of images included), the parser either returns an
    array no larger than the input or raises its own one-line error."""
    data = magic + bytes([dtype, ndim]) + struct.pack(f">{len(dims)}I", *dims) + body
    try:
        parsed = parse_idx(data, "fuzz.idx", expected_ndim)
    except PipelineError as err:
        assert str(err).startswith("fuzz.idx: ") and "\n" not in str(err)
    else:
        assert parsed.nbytes <= len(data) and parsed.ndim == expected_ndim


@given(images=st.integers(0, 5), side=st.integers(0, 30))
@settings(max_examples=60, deadline=None)
def test_consistent_headers_parse(images: int, side: int) -> None:
    array = np.arange(images * side * side, dtype=np.uint64).astype(np.uint8).reshape(images, side, side)
    assert np.array_equal(parse_idx(idx_bytes(array), "ok.idx", 3), array)
