"""Helpers for the `digits serve` tests: a small model file and digit pictures as bytes."""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from digits.core.params import load_params
from digits.data.splits import Normalization
from digits.model.checkpoint import save_checkpoint
from digits.model.confidence import UNCALIBRATED
from digits.model.networks import build_model

ROOT = Path(__file__).resolve().parents[1]
SMALL_CNN = {"channels": [8, 16, 16, 16]}


def small_model(path: Path) -> Path:
    """An untrained small CNN (BatchNorm, convolutions: the real code path), saved as a checkpoint; uncalibrated,
    so that every answer is a digit (tests/decisive_model.py makes the other decisions)."""
    torch.manual_seed(0)
    model = build_model("cnn", SMALL_CNN)
    with torch.no_grad():  # BatchNorm statistics far from the defaults, so the outputs differ per image
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    params = load_params(ROOT / "params.yaml", "train")
    save_checkpoint(path, model, "cnn", SMALL_CNN, Normalization(0.1307, 0.3081), params, 1, UNCALIBRATED)
    return path


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def drawn_digits() -> dict[str, bytes]:
    """Digit-like pictures in the forms people send: PNG gray and RGB, JPEG, a transparent canvas, BMP."""
    pictures = {}
    for i, size in enumerate((60, 100, 280)):
        page = Image.new("L", (size, size), 255)
        draw = ImageDraw.Draw(page)
        s = size / 10
        draw.line([(5 * s, 2 * s), (5 * s + i * s, 8 * s)], fill=0, width=max(2, round(s)))  # a '1', slanted
        draw.ellipse([2 * s, 2 * s, 8 * s, 8 * s], outline=0, width=max(2, round(s)))  # a '0' (or a '6'...)
        pictures[f"gray{size}.png"] = encode(page)
        pictures[f"rgb{size}.png"] = encode(page.rotate(15 * i, fillcolor=255).convert("RGB"))
        pictures[f"photo{size}.jpg"] = encode(page.convert("RGB"), "JPEG", quality=80)
    alpha = Image.eval(Image.open(io.BytesIO(pictures["gray100.png"])), lambda v: 255 - v)
    pictures["canvas.png"] = encode(Image.merge("LA", (Image.new("L", alpha.size, 0), alpha)))
    pictures["scan.bmp"] = encode(Image.open(io.BytesIO(pictures["gray60.png"])), "BMP")
    for example in sorted((ROOT / "examples").iterdir()):
        pictures[example.name] = example.read_bytes()
    return pictures


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG claiming width x height pixels: a decompression bomb's header (Pillow reads it lazily)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    idat = zlib.compress(b"\0" * 1024)  # the start of a sea of zeros
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def blank_png() -> bytes:
    return encode(Image.new("L", (64, 64), 255))


def digit_one_png() -> bytes:
    gray = np.full((60, 60), 255, dtype=np.uint8)
    gray[12:48, 27:33] = 0
    return encode(Image.fromarray(gray))


def encode_form(field: str, filename: str, data: bytes, texts: dict[str, str] | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body with one file field (after the text fields `texts`), and its boundary."""
    boundary = "digits-test-boundary"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (texts or {}).items()
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
    head += "Content-Type: application/octet-stream\r\n\r\n"
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def distinct_digits(n: int) -> list[bytes]:
    """`n` PNGs of a slanted stroke with a bar, each at its own angle and height, so that no two of their model
    views are the same picture (n <= 100)."""
    assert n <= 100, n
    pictures = []
    for i in range(n):
        page = Image.new("L", (100, 100), 255)
        draw = ImageDraw.Draw(page)
        draw.line([(40 + i % 10 * 2, 10), (60 - i // 10 * 2, 90)], fill=0, width=8)
        draw.line([(30, 30 + i % 7 * 4), (70, 30 + i % 7 * 4 + i // 7)], fill=0, width=8)
        pictures.append(encode(page))
    return pictures


def dot_png() -> bytes:
    """A click on the page without moving: one dot of its 20 px pen on the 280 px canvas."""
    page = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(page).ellipse([130, 130, 150, 150], fill=0)
    return encode(page)
