"""scripts/seeds.py: the experiments it queues (names and settings); the sweep itself runs in
tests/integration/test_experiments.py."""

import importlib.util
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "seeds.py"


@pytest.fixture
def seeds(monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("seeds", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(module, "experiments", lambda rev: iter([{"name": "e9-1"}, {"name": "seed-0"}]))
    done = "abc1234  e9-0  08:15 AM  Success\ndef5678  e9-1  08:15 AM  Success\n"  # once the sweep has run
    monkeypatch.setattr(
        module, "dvc", lambda *args: calls.append(args) or (done if ("queue", "start", "-j", "1") in calls else "")
    )
    monkeypatch.setattr(module, "head_commit", lambda: "c0ffee")
    monkeypatch.setattr(module, "start_worker", lambda: calls.append(("queue", "start", "-j", "1")))
    return module, calls


def test_each_seed_is_queued_with_the_settings_under_its_prefix(seeds):
    module, calls = seeds
    baseline = module.queue_and_run(range(2), "e9", ["train.epochs=9", "train.amp=none"])
    assert baseline == "c0ffee"  # summarized there, even if HEAD moves while the experiments run
    assert calls == [
        ("exp", "remove", "e9-1"),  # an earlier run of the same name is replaced
        ("queue", "status"),  # the tasks already there, not this sweep's
        ("exp", "run", "--queue", "-n", "e9-0", "-S", "train.seed=0", "-S", "train.epochs=9", "-S", "train.amp=none"),
        ("exp", "run", "--queue", "-n", "e9-1", "-S", "train.seed=1", "-S", "train.epochs=9", "-S", "train.amp=none"),
        ("queue", "start", "-j", "1"),
        ("queue", "status"),
    ]


def test_the_summary_names_the_experiments_it_lacks(seeds):
    module, _ = seeds
    with pytest.raises(SystemExit, match="no finished experiment named e9-0, e9-2"):
        module.summarize(range(3), "HEAD", "e9")


def test_ctrl_c_removes_the_sweeps_queued_experiments_then_kills_its_running_one(seeds, monkeypatch):
    module, _ = seeds
    statuses = iter(
        [
            "",  # before the sweep
            "abc1234  e9-0  08:15 AM  Running\ndef5678  e9-1  08:15 AM  Queued\n0a1b2c3  other  08:15 AM  Queued\n",
            "abc1234  e9-0  08:15 AM  Failed\n0a1b2c3  other  08:15 AM  Queued\n",  # the worker recorded the kill
        ]
    )
    unchecked: list[tuple[str, ...]] = []

    def dvc(*args: str, check: bool = True) -> str:
        if not check:
            unchecked.append(args)
        return next(statuses) if args == ("queue", "status") else ""

    monkeypatch.setattr(module, "dvc", dvc)
    monkeypatch.setattr(module, "follow_queue", lambda names, earlier: (_ for _ in ()).throw(KeyboardInterrupt))
    monkeypatch.setattr(module.time, "sleep", lambda seconds: None)
    with pytest.raises(SystemExit) as stopped:
        module.queue_and_run(range(2), "e9", [])
    assert stopped.value.code == 130
    assert unchecked == [("queue", "remove", "e9-1"), ("queue", "kill", "e9-0")]  # "other" is not the sweep's


def test_the_sweep_follows_each_running_experiment_then_reports_a_failed_one(seeds, monkeypatch):
    module, _ = seeds
    statuses = iter(
        [
            "0a1b2c3  e9-0  07:00 AM  Success\n",  # an earlier sweep's, on another commit
            "abc1234  e9-0  08:15 AM  Queued\ndef5678  e9-1  08:15 AM  Queued\n0a1b2c3  e9-0  07:00 AM  Success\n",
            "abc1234  e9-0  08:15 AM  Running\ndef5678  e9-1  08:15 AM  Queued\n",
            "abc1234  e9-0  08:15 AM  Success\n",  # e9-1 taken by the worker, not yet running: listed nowhere
            "abc1234  e9-0  08:15 AM  Success\ndef5678  e9-1  08:15 AM  Running\n",
            "abc1234  e9-0  08:15 AM  Success\ndef5678  e9-1  08:15 AM  Failed\n9f8e7d6  other  08:15 AM  Queued\n",
        ]
    )
    followed, sleeps = [], []
    monkeypatch.setattr(module, "dvc", lambda *args, check=True: next(statuses) if args == ("queue", "status") else "")

    def follow(command: list[str], check: bool) -> subprocess.CompletedProcess:
        followed.append(command[-1])
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(module.subprocess, "run", follow)
    monkeypatch.setattr(module.time, "sleep", sleeps.append)
    with pytest.raises(SystemExit, match="e9-1 failed; `dvc queue logs NAME` shows why"):
        module.queue_and_run(range(2), "e9", [])
    assert followed == ["e9-0", "e9-1"]  # `dvc queue logs --follow NAME`, each until it ended
    assert sleeps == [2, 2]  # polls only while none of the sweep ran; "other" queued is not the sweep's


def test_a_task_that_leaves_the_queue_unfinished_ends_the_wait(seeds, monkeypatch):
    module, _ = seeds
    monkeypatch.setattr(module, "dvc", lambda *args, check=True: "abc1234  e9-0  08:15 AM  Success\n")
    clock = iter(range(0, 1000, 50))
    monkeypatch.setattr(module.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(module.time, "sleep", lambda seconds: None)
    with pytest.raises(SystemExit, match="e9-1 left the queue unfinished"):
        module.follow_queue(["e9-0", "e9-1"], frozenset(), patience=120)
