"""Fixtures shared by unit and integration tests."""

from pathlib import Path

import pytest

from tests.real_mnist import N_TEST, REAL_MNIST, train_small_model


@pytest.fixture(scope="session")
def real_mnist_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A small CNN trained on real MNIST (once per session): its checkpoint, and its accuracy on the
    first N_TEST test images. Skips without real MNIST."""
    if not REAL_MNIST.is_dir():
        pytest.skip(f"real MNIST (the four *-ubyte.gz files) not found at {REAL_MNIST}")
    path = tmp_path_factory.mktemp("real-model") / "model.pt"
    return path, train_small_model(path, N_TEST)
