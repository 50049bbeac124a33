"""A small CNN trained on real MNIST, for tests that need a model that reads handwriting.

Half the default widths, 20,000 real training images, 2 epochs on one thread (about 20 s), calibrated as the
train stage does it (the temperature and the decision thresholds, on 1,000 validation images).
Real MNIST is at ../shared/datasets/mnist beside the checkout; tests that need it skip without it.
"""

import dataclasses
import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from digits.core.params import load_params
from digits.data.idx import parse_idx
from digits.data.splits import Normalization, make_split
from digits.evaluation.metrics import loss_and_accuracy
from digits.model.checkpoint import save_checkpoint
from digits.training.calibrate import calibrate
from digits.training.fit import architecture, fit, init_model

ROOT = Path(__file__).resolve().parents[1]
REAL_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"
needs_real_mnist = pytest.mark.skipif(
    not REAL_MNIST.is_dir(), reason=f"real MNIST (the four *-ubyte.gz files) not found at {REAL_MNIST}"
)
N_TRAIN = 20_000
N_TEST = 1_000  # test images the plain accuracy is measured on
NORM = Normalization(0.1307, 0.3081)  # MNIST training-set statistics, as in params.yaml


def read_gz(name: str, ndim: int) -> np.ndarray:
    return parse_idx(gzip.decompress((REAL_MNIST / f"{name}.gz").read_bytes()), name, ndim)


def mnist_test_digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first n test images (n, 28, 28) uint8 and their labels (n,)."""
    return read_gz("t10k-images-idx3-ubyte", 3)[:n], read_gz("t10k-labels-idx1-ubyte", 1)[:n]


def train_small_model(path: Path, n_test: int) -> float:
    """Train the small CNN, save its checkpoint at `path`; return its accuracy on the first n_test test images."""
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
        calibration = calibrate(model, val, params, torch.device("cpu"))
    finally:
        torch.set_num_threads(threads)
    save_checkpoint(path, model, *architecture(params), NORM, params, history.best_epoch, calibration)
    test = make_split(*mnist_test_digits(n_test), NORM)
    return loss_and_accuracy(model, test.images, test.labels, 500, torch.device("cpu"))[1]
