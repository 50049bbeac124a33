"""The views of the metrics that README.md and docs/experiments.md recommend fit a terminal (under 100 columns),
where plain `dvc metrics show` prints a column per key of the three metrics files, mostly empty. A diff is
measured as it is read after an experiment: every figure changed, HEAD beside the workspace."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DVC = Path(sys.executable).parent / "dvc"
METRICS = ("metrics/test.json", "metrics/selective.json", "metrics/ood.json", "metrics/train/metrics.json")


def width(folder: Path, *args: str) -> int:
    """The widest line `dvc ARGS...` prints in `folder`, trailing spaces dropped."""
    shown = subprocess.run([str(DVC), *args], cwd=folder, capture_output=True, text=True, check=True).stdout
    return max(len(line.rstrip()) for line in shown.splitlines())


def changed(value: Any) -> Any:
    """Every number of a metrics file moved, at the precision the files keep."""
    if isinstance(value, dict):
        return {key: changed(item) for key, item in value.items()}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return value + 1 if isinstance(value, int) else round(value * 0.9 + 0.0012345, 6)


@pytest.fixture(scope="module")
def after_an_experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with this project's dvc.yaml and committed metrics, every figure since changed in the workspace."""
    folder = tmp_path_factory.mktemp("metrics-views")
    for name in ("dvc.yaml", "params.yaml", *METRICS):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)
    commit = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-qm", "metrics"]
    for command in (["git", "init", "-q"], [str(DVC), "init", "-q"], ["git", "add", "-A"], commit):
        subprocess.run(command, cwd=folder, check=True, capture_output=True)
    for name in METRICS:
        path = folder / name
        path.write_text(json.dumps(changed(json.loads(path.read_text())), indent=2))
    return folder


def test_one_metrics_file_fits_a_terminal() -> None:
    assert width(ROOT, "metrics", "show", "metrics/test.json") < 100


def test_every_metric_changed_fits_a_terminal_without_the_paths(after_an_experiment: Path) -> None:
    """`--all` with the paths was 101 columns here: the README recommends `--no-path` (73)."""
    assert width(after_an_experiment, "metrics", "diff", "--all", "--no-path") < 100
