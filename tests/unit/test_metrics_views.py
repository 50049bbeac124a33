"""The views of the metrics that README.md and docs/experiments.md recommend fit a terminal (under 100 columns),
where plain `dvc metrics show` prints a column per key of the three metrics files, mostly empty."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DVC = Path(sys.executable).parent / "dvc"


def width(*args: str) -> int:
    """The widest line `dvc ARGS...` prints, trailing spaces dropped."""
    shown = subprocess.run([str(DVC), *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return max(len(line.rstrip()) for line in shown.splitlines())


@pytest.mark.parametrize("view", [["metrics", "show", "metrics/test.json"], ["metrics", "diff", "--all"]], ids=" ".join)
def test_the_recommended_views_fit_a_terminal(view: list[str]) -> None:
    assert width(*view) < 100
