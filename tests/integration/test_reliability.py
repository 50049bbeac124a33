"""Faults that must never leave a wrong or half-written result: corrupt intermediates, bad params,
a SIGKILL in the middle of training, two `dvc repro` at once, and determinism of `dvc repro -f`."""

import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import torch

from tests.integration.pipeline_repo import PipelineRepo, environment


def digest(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def outputs(repo: PipelineRepo) -> dict[str, str]:
    files = [p for p in (repo.path / "data").rglob("*") if p.is_file() and not p.name.startswith(".")]
    files += [*(repo.path / "metrics").rglob("*.*"), repo.path / "models/model.pt", repo.path / "dvc.lock"]
    return {str(p.relative_to(repo.path)): digest(p) for p in files if p.is_file()}


def assert_one_line_error(run_output: str, stage: str, *needles: str) -> None:
    lines = [line for line in run_output.splitlines() if line.startswith(f"{stage}: error: ")]
    assert len(lines) == 1, run_output
    assert all(needle in lines[0] for needle in needles), lines[0]
    assert "Traceback" not in run_output


def assert_stage_refuses(repo: PipelineRepo, stage: str, *needles: str) -> None:
    """Running `stage` by hand exits 1 with one error line holding `needles`, and changes no output."""
    before = outputs(repo)
    run = repo.run("python", "-m", f"stages.{stage}")
    assert run.returncode == 1
    assert_one_line_error(run.output, stage, *needles)
    assert outputs(repo) == before


@pytest.mark.parametrize("damage", ["truncate", "garble"])
def test_corrupt_processed_split(repo: PipelineRepo, damage: str) -> None:
    split = repo.path / "data/processed/train.pt"
    data = split.read_bytes()
    split.write_bytes(data[: len(data) // 3] if damage == "truncate" else os.urandom(len(data)))
    assert_stage_refuses(repo, "train", "data/processed/train.pt", "unreadable or corrupt")


def test_model_of_another_architecture(repo: PipelineRepo) -> None:
    record = torch.load(repo.path / "models/model.pt", weights_only=True)
    record["model_args"] = {"channels": [8, 8, 8, 8]}  # the weights are [4, 8, 16, 16]
    torch.save(record, repo.path / "models/model.pt")
    assert_stage_refuses(repo, "evaluate", "models/model.pt", "do not fit the architecture")


@pytest.mark.parametrize("stage", ["evaluate", "ood"])
def test_garbage_model_file(repo: PipelineRepo, stage: str) -> None:
    (repo.path / "models/model.pt").write_bytes(b"\x00garbage" * 1000)
    assert_stage_refuses(repo, stage, "models/model.pt", "unreadable or corrupt")


@pytest.mark.parametrize(
    ("stage", "section", "key", "value", "message"),
    [
        ("download", "download", "retries", "3", "download.retries: must be int, got str '3'"),
        ("preprocess", "preprocess", "std", -1, "preprocess.std: must be > 0"),
        ("train", "train", "model", "resnet", "train.model: must be one of 'mlp', 'cnn'"),
        ("evaluate", "evaluate", "batch_size", 0, "evaluate.batch_size: must be >= 1"),
        ("ood", "ood", "seed", "zero", "ood.seed: must be int, got str 'zero'"),
    ],
)
def test_bad_params_stop_the_stage_before_any_work(
    repo: PipelineRepo, stage: str, section: str, key: str, value: object, message: str
) -> None:
    repo.edit_params({section: {key: value}})
    assert_stage_refuses(repo, stage, "params.yaml", message)


def test_malformed_yaml(repo: PipelineRepo) -> None:
    (repo.path / "params.yaml").write_text("train: {lr: [0.1\n")
    run = repo.run("python", "-m", "stages.train")
    assert run.returncode == 1
    assert_one_line_error(run.output, "train", "params.yaml: not valid YAML at line")


def start_repro(repo: PipelineRepo, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["dvc", "repro", *args],
        cwd=repo.path,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for_train_epoch(repo: PipelineRepo, process: subprocess.Popen[str], timeout: float = 120) -> None:
    """Until the train stage has logged its first epoch (DVCLive's files appear)."""
    log = repo.path / "metrics/train/plots/metrics/val/acc.tsv"
    deadline = time.monotonic() + timeout
    while not (log.is_file() and len(log.read_text().splitlines()) >= 2):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "train never logged an epoch"
        time.sleep(0.05)


def test_sigkill_in_training_then_repro_completes(repo: PipelineRepo) -> None:
    repo.run("dvc", "freeze", "ood", check=True)  # not under test: the costliest stage on the small data
    repo.edit_params({"train": {"epochs": 40}})
    lock_before = (repo.path / "dvc.lock").read_text()
    shutil.rmtree(repo.path / "metrics/train")  # the baseline's curves would make the wait below end at once
    process = start_repro(repo)
    wait_for_train_epoch(repo, process)
    for child in psutil.Process(process.pid).children(recursive=True):
        child.kill()  # SIGKILL the stage (and its shell) first, then dvc itself: a crash, not a shutdown
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    assert (repo.path / "dvc.lock").read_text() == lock_before  # nothing recorded for the killed run
    model = repo.path / "models/mnist.pt"
    assert not model.exists() or digest(model) in lock_before  # never a truncated model
    repo.edit_params({"train": {"epochs": 3}})
    run = repo.repro()
    assert run.returncode == 0, run.output
    lock = (repo.path / "dvc.lock").read_text()
    assert digest(model) in lock
    status = repo.run("dvc", "status", "--json", check=True).output.strip().splitlines()
    assert status[-1] == "{}", status  # before it, DVC's warning that ood is frozen


def test_two_repros_at_once(repo: PipelineRepo) -> None:
    # one stage is enough to hold DVC's lock while the second repro asks for it
    first, second = start_repro(repo, "-f", "-s", "train"), start_repro(repo, "-f", "-s", "train")
    outputs_ = [p.communicate(timeout=300)[0] for p in (first, second)]
    codes = sorted([first.returncode, second.returncode])
    assert codes[0] == 0 and codes[1] != 0, outputs_
    loser = outputs_[[first.returncode, second.returncode].index(codes[1])]
    assert "Unable to acquire lock" in loser or "is busy" in loser, loser
    assert repo.run("dvc", "status", "--json", check=True).output.strip() == "{}"


def test_repro_force_is_byte_identical(repo: PipelineRepo) -> None:
    before = outputs(repo)
    run = repo.repro("-f")
    assert run.returncode == 0, run.output
    assert run.stages_run == {"collected", "download", "preprocess", "train", "adapt", "evaluate", "ood_inputs", "ood"}
    assert outputs(repo) == before
    assert repo.run("git", "status", "--porcelain", "dvc.lock", "metrics", check=True).output == ""
