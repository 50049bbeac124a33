"""Round trip on real digits: MNIST test images saved the ways people make digit pictures
(black ink on white, 4x larger, off-centre, with a margin; PNG in gray, RGB and on a transparent
canvas, and JPEG) are classified by `digits predict` as well as the plain MNIST images are.

The model is trained here, on 20,000 real training images for 2 epochs on one thread (about 20 s).
"""

import dataclasses
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from digits.checkpoint import save_checkpoint
from digits.cli import main
from digits.data import Normalization, make_split
from digits.evaluation import loss_and_accuracy
from digits.idx import parse_idx
from digits.params import load_params
from digits.training import fit, init_model, model_args

ROOT = Path(__file__).resolve().parents[2]
REAL_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"
pytestmark = pytest.mark.skipif(
    not REAL_MNIST.is_dir(), reason=f"real MNIST (the four *-ubyte.gz files) not found at {REAL_MNIST}"
)
N_TRAIN, N_TEST = 20_000, 1_000
NORM = Normalization(0.1307, 0.3081)  # MNIST training-set statistics, as in params.yaml


def read_gz(name: str, ndim: int) -> np.ndarray:
    return parse_idx(gzip.decompress((REAL_MNIST / f"{name}.gz").read_bytes()), name, ndim)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A half-width CNN trained on real MNIST; its checkpoint and its accuracy on plain test images."""
    images, labels = read_gz("train-images-idx3-ubyte", 3), read_gz("train-labels-idx1-ubyte", 1)
    train = make_split(images[:N_TRAIN], labels[:N_TRAIN], NORM)
    val = make_split(images[-1000:], labels[-1000:], NORM)
    base = load_params(ROOT / "params.yaml", "train")
    params = dataclasses.replace(
        base,
        model="cnn",
        cnn_channels=tuple(max(4, c // 2) for c in base.cnn_channels),
        epochs=2,
        batch_size=128,
        optimizer="adamw",
        lr=0.01,
        schedule="onecycle",
        max_shift=2,
        max_rotation=0.0,
        max_scale=0.0,
        ema_decay=0.0,
        device="cpu",
    )
    model = init_model(params)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same weights on any machine, and no slowdown when the cores are busy
    try:
        history = fit(model, train, val, params, torch.device("cpu"))
    finally:
        torch.set_num_threads(threads)
    path = tmp_path_factory.mktemp("model") / "model.pt"
    save_checkpoint(path, model, "cnn", model_args(params), NORM, params, history.best_epoch)
    test = make_split(*mnist_test_digits(), NORM)
    return path, loss_and_accuracy(model, test.images, test.labels, 500, torch.device("cpu"))[1]


def mnist_test_digits(n: int = N_TEST) -> tuple[np.ndarray, np.ndarray]:
    return read_gz("t10k-images-idx3-ubyte", 3)[:n], read_gz("t10k-labels-idx1-ubyte", 1)[:n]


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
    model_file: tuple[Path, float], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, plain_accuracy = model_file
    rng = np.random.default_rng(0)
    images, labels = mnist_test_digits()
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
