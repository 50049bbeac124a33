"""A throwaway copy of the project in its own git repository, run with the real `dvc`."""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from configobj import ConfigObj  # what DVC reads its config with

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILES = ("dvc.yaml", "params.yaml", ".dvcignore", ".gitignore", "data/.gitignore")
PROJECT_DIRS = ("digits", "stages")
# The offline `dvc plots` page (a path inside .dvc/, set in the project's .dvc/config): each repository gets both.
HTML_TEMPLATE = ConfigObj(str(ROOT / ".dvc" / "config"))["plots"]["html_template"]
PLOT_TEMPLATES = ".dvc/plots"  # DVC's folder of plot templates: dvc.yaml's custom ones (and the page above)
# Small and fast: a few hundred synthetic images, a tiny CNN, one thread.
SMALL = {
    "download": {"retries": 0, "timeout": 5.0},
    "preprocess": {"val_size": 100},
    "train": {"cnn_channels": [4, 8, 16, 16], "epochs": 2, "batch_size": 32, "threads": 1, "device": "cpu"},
    "adapt": {"steps": 20, "batch_size": 32},
    "evaluate": {"device": "cpu"},
}


@dataclass
class Run:
    returncode: int
    output: str  # stdout and stderr together

    @property
    def stages_run(self) -> set[str]:
        return set(re.findall(r"Running stage '([\w-]+)'", self.output))


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MNIST_MIRROR" and not k.startswith("DVC_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # `python` and `dvc` of this venv
    env.update(
        DVC_NO_ANALYTICS="1",
        GIT_AUTHOR_NAME="test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="test",
        GIT_COMMITTER_EMAIL="test@example.com",
        PYTHONUNBUFFERED="1",
    )
    return env


class PipelineRepo:
    def __init__(self, path: Path, env: dict[str, str] | None = None) -> None:
        self.path = path
        self.env = env or {}  # extra variables for every command (credentials, DVC_EXP_AUTO_PUSH, ...)

    @classmethod
    def create(cls, path: Path, params: dict[str, dict[str, Any]] | None = None) -> "PipelineRepo":
        """Copy the project into `path`, apply `params` changes to params.yaml, git and dvc init."""
        path.mkdir(parents=True)
        for name in PROJECT_FILES:
            (path / name).parent.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, path / name)
        for name in PROJECT_DIRS:
            shutil.copytree(ROOT / name, path / name, ignore=shutil.ignore_patterns("__pycache__"))
        repo = cls(path)
        repo.edit_params(params or {})
        for command in (
            ["git", "init", "-q", "-b", "main"],
            ["dvc", "init", "-q"],
            ["dvc", "config", "core.analytics", "false"],
            ["dvc", "config", "plots.html_template", HTML_TEMPLATE],
        ):
            repo.run(*command, check=True)
        shutil.copytree(ROOT / PLOT_TEMPLATES, path / PLOT_TEMPLATES, dirs_exist_ok=True)
        (path / ".dvc" / HTML_TEMPLATE).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / ".dvc" / HTML_TEMPLATE, path / ".dvc" / HTML_TEMPLATE)
        repo.commit("project")
        return repo

    @classmethod
    def create_small(cls, path: Path, mirror_url: str, hashes: dict[str, str]) -> "PipelineRepo":
        """A repository on small synthetic data from `mirror_url` (payload hashes `hashes`)."""
        return cls.create(path, {**SMALL, "download": {**SMALL["download"], "mirrors": [mirror_url], "sha256": hashes}})

    def clone(self, path: Path) -> "PipelineRepo":
        """A fresh `git clone` of this repository: what Git carries and nothing else (no data/collected
        folder, an empty DVC cache), as a newcomer gets it."""
        subprocess.run(["git", "clone", "-q", str(self.path), str(path)], check=True, env=environment())
        return PipelineRepo(path, self.env)

    def copy_to(self, path: Path) -> "PipelineRepo":
        shutil.copytree(self.path, path, symlinks=True)
        return PipelineRepo(path, self.env)

    def run(
        self,
        *command: str,
        check: bool = False,
        env: dict[str, str] | None = None,
        timeout: float = 600,
        cores: set[int] | None = None,
    ) -> Run:
        """`command` in the repository; `cores`: the CPUs it (and every process it starts) may run on, which
        the stages' `threads: auto` counts."""
        done = subprocess.run(
            command,
            cwd=self.path,
            env={**environment(), **self.env, **(env or {})},
            preexec_fn=None if cores is None else lambda: os.sched_setaffinity(0, cores),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        result = Run(done.returncode, done.stdout)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}")
        return result

    def repro(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 600, cores: set[int] | None = None
    ) -> Run:
        return self.run("dvc", "repro", *args, env=env, timeout=timeout, cores=cores)

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A", check=True)
        self.run("git", "commit", "-q", "-m", message, check=True)

    def params(self) -> dict[str, Any]:
        return yaml.safe_load((self.path / "params.yaml").read_text())

    def edit_params(self, changes: dict[str, dict[str, Any]]) -> None:
        params = self.params()
        for section, values in changes.items():
            params[section].update(values)
        (self.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
