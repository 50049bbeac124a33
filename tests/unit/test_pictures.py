"""Decoding pictures: 16-bit scans, and the limits and messages for what is not a picture."""

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digits.data.pictures import BadImageError, open_gray, to_gray


def test_sixteen_bit_scans_are_scaled_to_eight_bits() -> None:
    scan = np.full((20, 20), 65535, dtype=np.uint16)
    scan[5:15, 5:15] = 0
    gray = to_gray(Image.fromarray(scan))
    assert gray.max() == pytest.approx(255) and gray.min() == 0


def png_header(width: int, height: int) -> bytes:
    """A PNG promising width x height 8-bit gray pixels, with almost no pixel data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(16))) + chunk(b"IEND", b"")


def test_open_gray_refuses_a_huge_image_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(png_header(8000, 7000))  # 56 megapixels: decoding would fail on the missing data
    with pytest.raises(BadImageError, match="8000x7000, over the limit of 50 megapixels"):
        open_gray(path)


def test_open_gray_turns_pillows_decompression_bomb_error_into_a_message(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header(100_000, 100_000))  # over twice Pillow's limit: it refuses to open it
    with pytest.raises(BadImageError, match="too large"):
        open_gray(path)


def test_open_gray_reports_a_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    path.write_bytes(png_header(40, 40))  # the header is fine, the pixel data stops short
    with pytest.raises(BadImageError, match="cannot decode image"):
        open_gray(path)
