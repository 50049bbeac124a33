"""The loop benchmarks/adapt.py times, in a temporary clone of the project, through what every version of
it has: `digits collect`, `dvc repro`, `digits predict --json`, models/model.pt and metrics/test.json.

Commands run in the clone as `python -m digits.cli ...`, not the installed `digits` script (an editable
install points at one checkout): with -m the current folder comes first on the path, so the clone's own
code runs, whatever commit it is and whatever shape its pipeline has.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks.adapt_populations import DIGITS, Population, label_of

BIN = Path(sys.executable).parent  # this environment's python and dvc, also the `python` of the stages' commands
COLLECTED = Path("data/collected")
KEEP = {"README.md"}  # the collected stage's note, ignored by DVC: a reset keeps it
STAGE_RUN = re.compile(r"Running stage '([^']+)'")
OUTPUT_TAIL = 3000  # characters of a failed command's output shown


class UnknownParamError(ValueError):
    """--set names a key params.yaml does not have (a typo would otherwise add a key no stage reads)."""


@dataclass(frozen=True)
class Clone:
    root: Path
    env: dict[str, str]

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(command, cwd=self.root, env=self.env, capture_output=True, text=True, check=False)  # noqa: S603
        if check and done.returncode != 0:
            tail = (done.stdout + done.stderr)[-OUTPUT_TAIL:]
            sys.exit(f"adapt: `{' '.join(command)}` failed ({done.returncode}) in {self.root}:\n{tail}")
        return done


def output(command: list[str], cwd: Path) -> str:
    """The stdout of one of our own commands (git, this environment's dvc), which must succeed."""
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()  # noqa: S603


def project_cache(repo: Path) -> Path:
    """The DVC cache of the project's main checkout, as `dvc cache dir` says there: a git worktree has no
    cache of its own (.dvc/cache is untracked), its main checkout has the pipeline's outputs."""
    main_checkout = Path(output(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], repo)).parent
    return Path(output([str(BIN / "dvc"), "cache", "dir"], main_checkout))


def make_clone(repo: Path, folder: Path, cache: Path, mirror: Path) -> tuple[Clone, bool]:
    """`git clone` of `repo`'s HEAD into `folder`, using `cache` as its DVC cache, its outputs checked out;
    whether every output came from the cache (if not, the first `dvc repro` makes the rest)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "MNIST_MIRROR": str(mirror)}
    env.pop("PYTHONPATH", None)  # the clone's own code, not this checkout's
    output(["git", "clone", "-q", str(repo), str(folder)], folder.parent)
    clone = Clone(folder, env)
    clone.run("dvc", "cache", "dir", "--local", str(cache))
    # Links, not copies: a checkout takes a second whatever the size. DVC removes a stage's outputs before it
    # runs and makes cache files read-only, so no stage writes through a link into the shared cache.
    clone.run("dvc", "config", "--local", "cache.type", "symlink")
    return clone, clone.run("dvc", "checkout", check=False).returncode == 0


def set_param(params: dict, assignment: str) -> None:
    """Apply KEY=VALUE (KEY dotted, e.g. train.seed; VALUE read as YAML) to the parsed params.yaml."""
    key, equals, text = assignment.partition("=")
    if not equals or not key:
        raise UnknownParamError(f"--set {assignment!r}: expected KEY=VALUE, e.g. train.seed=1")
    parts, node = key.split("."), params
    for depth, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(parts[:depth]) or "the top level"
            known = ", ".join(map(str, node)) if isinstance(node, dict) else f"none: {where} is a value"
            raise UnknownParamError(f"--set {key}: params.yaml has no key {key} (keys of {where}: {known})")
        if depth < len(parts) - 1:
            node = node[part]
    node[parts[-1]] = yaml.safe_load(text)


def edit_params(path: Path, assignments: list[str]) -> None:
    """Rewrite params.yaml with the assignments (its comments are lost: it is the temporary clone's)."""
    params = yaml.safe_load(path.read_text())
    for assignment in assignments:
        set_param(params, assignment)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def train_seed(root: Path) -> object:
    return (yaml.safe_load((root / "params.yaml").read_text()).get("train") or {}).get("seed", "?")


def reset_collected(root: Path) -> None:
    """An empty collection: the pictures go (links into the cache: the cache keeps them), the folder and its
    README.md stay."""
    folder = root / COLLECTED
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry.name not in KEEP:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


def collect(clone: Clone, population: Population, k: int) -> int:
    """`digits collect` the first `k` pool pictures of each digit, one command per digit; the pictures
    data/collected then holds (fewer than 10k if two files make the same 28x28 picture)."""
    for digit in DIGITS:
        files = [str(path) for path in population.pool_files(digit, k)]
        if files:
            clone.run(sys.executable, "-m", "digits.cli", "collect", *files, "--label", str(digit))
    return len(list((clone.root / COLLECTED).glob("[0-9]/*.png")))


def repro(clone: Clone, run_cache: bool) -> tuple[float, list[str]]:
    """Wall seconds of `dvc repro` and the stages it ran. Loop turns pass run_cache=False: a benchmark run
    again collects the same pictures, and DVC would restore the stages' outputs instead of running them."""
    start = time.perf_counter()
    done = clone.run("dvc", "repro", *([] if run_cache else ["--no-run-cache"]))
    return time.perf_counter() - start, STAGE_RUN.findall(done.stdout + done.stderr)


def measure(clone: Clone, population: Population) -> tuple[float, float]:
    """(top-1 accuracy on the measured part by `digits predict --json` with models/model.pt, whatever each answer's
    decision; MNIST test accuracy from metrics/test.json)."""
    command = ["predict", "--json", "--model", "models/model.pt", str(population.measured)]
    answers = [json.loads(line) for line in clone.run(sys.executable, "-m", "digits.cli", *command).stdout.splitlines()]
    failed = [answer for answer in answers if "error" in answer]
    if failed or not answers:
        sys.exit(f"adapt: digits predict read {len(answers)} pictures, {len(failed)} failed: {failed[:3]}")
    correct = sum(answer["digit"] == label_of(Path(answer["path"])) for answer in answers)
    mnist = json.loads((clone.root / "metrics" / "test.json").read_text())["accuracy"]
    return correct / len(answers), float(mnist)
