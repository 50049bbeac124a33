"""Round trip on real digits: MNIST test images saved the ways people make digit pictures
(black ink on white, 4x larger, off-centre, with a margin; PNG in gray, RGB and on a transparent
canvas, and JPEG) are classified by `digits predict` as well as the plain MNIST images are.

The model (tests/real_mnist.py) is trained on 20,000 real training images for 2 epochs on one thread (about 20 s).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digits.cli import main
from tests.real_mnist import N_TEST, mnist_test_digits, needs_real_mnist

pytestmark = needs_real_mnist


def save_as_a_picture(digit: np.ndarray, path: Path, rng: np.random.Generator) -> Path:
    """Black ink on white, scaled 4x to 112x112, pasted off-centre on a page with a 4+ px margin."""
    ink = Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BICUBIC)
    width, height = (int(v) for v in rng.integers(120, 200, size=2))
    left, top = int(rng.integers(4, width - 112 - 3)), int(rng.integers(4, height - 112 - 3))
    page = Image.new("L", (width, height), 255)
    page.paste(ink, (left, top))
    kind = rng.integers(4)
    if kind == 0:
        page.save(path.with_suffix(".png"))
    elif kind == 1:
        page.convert("RGB").save(path.with_suffix(".png"))
    elif kind == 2:  # a drawing app: black strokes on a transparent canvas
        Image.merge("LA", (Image.new("L", page.size, 0), Image.eval(page, lambda v: 255 - v))).save(
            path.with_suffix(".png")
        )
    else:
        page.save(path.with_suffix(".jpg"), quality=85)
    return path


def test_digit_pictures_are_classified_like_mnist(
    real_mnist_model: tuple[Path, float], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, plain_accuracy = real_mnist_model
    rng = np.random.default_rng(0)
    images, labels = mnist_test_digits(N_TEST)
    for i, (digit, label) in enumerate(zip(images, labels, strict=True)):
        save_as_a_picture(digit, tmp_path / f"{i:04d}_{label}", rng)
    main(["predict", "--json", "--model", str(model), str(tmp_path)])  # exits only on a failure
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == N_TEST
    truth = [int(Path(r["path"]).stem.split("_")[1]) for r in records]
    accuracy = np.mean([r["digit"] == label for r, label in zip(records, truth, strict=True)])
    print(f"round-trip accuracy {accuracy:.4f}, plain MNIST accuracy {plain_accuracy:.4f}")
    assert accuracy >= 0.98, f"round trip {accuracy:.4f} (plain MNIST: {plain_accuracy:.4f})"
    assert accuracy >= plain_accuracy - 0.01, f"round trip {accuracy:.4f} vs plain MNIST {plain_accuracy:.4f}"
