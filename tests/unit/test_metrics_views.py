"""The views of the metrics that README.md and docs/experiments.md recommend fit a terminal (under 100 columns),
where plain `dvc metrics show` prints a column per key of the three metrics files, mostly empty."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
METRICS = yaml.safe_load((ROOT / "dvc.yaml").read_text())["metrics"]
DVC = Path(sys.executable).parent / "dvc"


def width(*args: str) -> int:
    """The widest line `dvc ARGS...` prints, trailing spaces dropped."""
    shown = subprocess.run([str(DVC), *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return max(len(line.rstrip()) for line in shown.splitlines())


@pytest.mark.parametrize("view", [["metrics", "show", "metrics/test.json"], ["metrics", "diff", "--all"]], ids=" ".join)
def test_the_recommended_views_fit_a_terminal(view: list[str]) -> None:
    assert width(*view) < 100


def test_plain_show_is_a_column_per_key_of_the_three_files() -> None:
    assert METRICS == ["metrics/test.json", "metrics/ood.json", "metrics/train/metrics.json"]  # as the docs list them
    assert width("metrics", "show") > 2 * width("metrics", "diff", "--all")  # why the docs point elsewhere
