"""Fixtures shared by unit and integration tests."""

from pathlib import Path

import pytest

from digits.core.runtime import available_cores
from tests.real_mnist import N_TEST, REAL_MNIST, train_small_model
from tests.support import build_once

REAL_MNIST_TEST = Path(__file__).resolve().parent / "integration" / "test_real_mnist.py"


@pytest.fixture(scope="session")
def real_mnist_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A small CNN trained on real MNIST (once for all pytest-xdist workers): its checkpoint, and its accuracy on
    the first N_TEST test images. Skips without real MNIST."""
    if not REAL_MNIST.is_dir():
        pytest.skip(f"real MNIST (the four *-ubyte.gz files) not found at {REAL_MNIST}")

    def build(folder: Path) -> dict:
        folder.mkdir()
        return {"accuracy": train_small_model(folder / "model.pt", N_TEST)}

    folder, record = build_once(tmp_path_factory, "real-model", build)
    return folder / "model.pt", record["accuracy"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: under -n auto one worker starts on them while the others take the rest, rather than
    the run ending on a slow test alone (unit and integration tests keep their order behind them)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts) starts a worker per core; the unit tests alone run sooner in this one
    process than workers take to start (45 s against 53 s on 2 cores). Where the real-MNIST test runs, a worker
    more: it holds its worker for minutes on one core of its own (test_real_mnist.py), and the other tests
    keep a worker per core. None: pytest-xdist's own count."""
    paths = [Path(config.rootpath, arg.split("::")[0]).resolve() for arg in config.args]
    if paths and all("unit" in path.parts for path in paths):
        return 0
    selected = not paths or any(path == REAL_MNIST_TEST or path in REAL_MNIST_TEST.parents for path in paths)
    slow_runs = selected and REAL_MNIST.is_dir() and "slow" not in (config.option.markexpr or "")
    return available_cores() + 1 if slow_runs else None
