"""`dvc exp run -S`, a queued grid and `dvc exp show` on the real pipeline (small synthetic data)."""

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.integration.pipeline_repo import ROOT, PipelineRepo, environment


def experiments(show_json: str) -> Iterator[dict[str, Any]]:
    """Every experiment record in `dvc exp show --json` output (DVC 3 nests them under baselines)."""
    for baseline in json.loads(show_json):
        for experiment in baseline.get("experiments") or []:
            yield from experiment.get("revs", [])


def params_and_metrics(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    data = record.get("data") or {}
    params = data.get("params", {}).get("params.yaml", {}).get("data", {})
    metrics = data.get("metrics", {}).get("metrics/test.json", {}).get("data", {})
    return params, metrics


@pytest.fixture
def queue_repo(repo: PipelineRepo) -> PipelineRepo:
    """The repository with `ood` frozen (`dvc freeze`): the queue's tests are about running and summarizing
    experiments, and ood, the costliest stage on the small data, would only repeat the baseline's figures."""
    repo.run("dvc", "freeze", "ood", check=True)
    repo.commit("ood frozen: not under test here")
    return repo


def test_the_readme_grid_queues_one_experiment_per_value(queue_repo: PipelineRepo) -> None:
    """README's queued grid: a comma list in -S queues one experiment per value, each with every setting. Running
    queued experiments with `dvc queue start -j 1` is the seed sweep's test below."""
    repo = queue_repo
    queued = repo.run("dvc", "exp", "run", "--queue", "-S", "train.epochs=1", "-S", "train.lr=0.003,0.012")
    assert queued.returncode == 0, queued.output
    shown = [
        params_and_metrics(record)[0]["train"]
        for record in experiments(repo.run("dvc", "exp", "show", "--json", check=True).output)
    ]
    assert sorted((train["lr"], train["epochs"]) for train in shown) == [(0.003, 1), (0.012, 1)]
    repo.run("dvc", "queue", "remove", "--queued", check=True)
    assert "Queued" not in repo.run("dvc", "queue", "status", check=True).output


def test_seed_sweep_script_prints_each_seed_and_the_mean(queue_repo: PipelineRepo) -> None:
    """scripts/seeds.py, the README's command for accuracy claims: seeds queued, run and summarized (two of
    them here: the machinery of five, a mean and an sd, in less time)."""
    repo = queue_repo
    # -S as the script's docstring shows; one epoch: the sweep's machinery is under test, not the figures
    script = [sys.executable, str(ROOT / "scripts" / "seeds.py"), "--seeds", "2"]
    run = repo.run(*script, "-S", "train.epochs=1", timeout=900)
    assert run.returncode == 0, run.output
    assert "seeds: seed-1:" in run.output and "train: saved models/mnist.pt" in run.output  # each log, as it runs
    assert "Queued" not in repo.run("dvc", "queue", "status", check=True).output
    lines = run.output.strip().splitlines()
    # the accuracies first, then the trust figures (ECE, errors left at 99% and 99.5% coverage, ...)
    assert lines[-5].split()[:7] == ["seed", "MNIST", "test", "UCI", "digits", "robustness", "mean"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[-4:]}
    assert list(rows) == ["0", "1", "mean", "sd"]
    assert all(len(values) == 8 and all(v.endswith("%") for v in values[:3]) for values in rows.values())
    tests = [float(rows[str(seed)][0].rstrip("%")) for seed in range(2)]
    assert float(rows["mean"][0].rstrip("%")) == pytest.approx(sum(tests) / 2, abs=0.006)
    again = repo.run(*script, "--summary", check=True)
    assert again.output.strip().splitlines()[-4:] == lines[-4:]  # the same experiments, read back


def read_until(process: subprocess.Popen[bytes], needle: bytes, timeout: float) -> bytes:
    """The process's output up to and including `needle`, without waiting past `timeout` or its exit."""
    seen, deadline = b"", time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        assert left > 0 and process.poll() is None, f"no {needle!r} in:\n{seen.decode()}"
        if select.select([process.stdout], [], [], left)[0]:
            seen += os.read(process.stdout.fileno(), 65536)
    return seen


def test_ctrl_c_stops_the_seed_sweep(queue_repo: PipelineRepo) -> None:
    """Ctrl-C on scripts/seeds.py leaves nothing running or queued, and `dvc exp show` still works."""
    repo = queue_repo
    repo.run("dvc", "freeze", "evaluate", check=True)  # stopped in training: its figures never come
    repo.commit("evaluate frozen too")
    script = [sys.executable, str(ROOT / "scripts" / "seeds.py"), "--seeds", "2"]  # one waits in the queue
    sweep = subprocess.Popen(
        script,
        cwd=repo.path,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # as at a terminal: where pytest itself runs in the background (`cmd &`), the shell made it ignore SIGINT,
        # and a child that inherits that never sees the Ctrl-C this test sends
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        before = read_until(sweep, b"seeds: seed-", timeout=120)  # the script follows a seed's log: one runs
        sweep.send_signal(signal.SIGINT)
        output = (before + sweep.communicate(timeout=120)[0]).decode()
    finally:
        sweep.kill()
    assert sweep.returncode == 130, output
    assert "stopped" in output
    time.sleep(12)  # longer than a worker's idle wait: a worker left alive would have started the other seed by now
    status = repo.run("dvc", "queue", "status", check=True).output
    assert "Queued" not in status and "Running" not in status, status
    assert repo.run("dvc", "exp", "show", "--json").returncode == 0


def model_md5(repo: PipelineRepo) -> str:
    return hashlib.md5((repo.path / "models/model.pt").read_bytes()).hexdigest()


def test_the_readme_walk_keeps_the_model_where_the_lock_names_other_bytes(repo: PipelineRepo) -> None:
    """README's "Experiments, and the way back", on a machine whose CPU kind trains other bytes than the
    committed dvc.lock records: DVC's cache never held the committed model, yet nothing is lost."""
    own, lock_text = model_md5(repo), (repo.path / "dvc.lock").read_text()
    lock = yaml.safe_load(lock_text)
    for stage, path in (("train", "models/mnist.pt"), ("adapt", "models/model.pt")):
        model_out = next(out for out in lock["stages"][stage]["outs"] if out["path"] == path)
        model_out["md5"] = "0" * 32  # bytes trained elsewhere, never in this cache
    (repo.path / "dvc.lock").write_text(yaml.safe_dump(lock, sort_keys=False))
    repo.commit("dvc.lock from another CPU kind")
    (repo.path / "dvc.lock").write_text(lock_text)  # as after the first `dvc repro` here: this machine's own run
    assert repo.run("git", "status", "--short", check=True).output.strip() == "M dvc.lock"
    assert repo.run("dvc", "status", "--json", check=True).output.strip() == "{}"

    repo.run("dvc", "exp", "save", "-n", "mine", check=True)  # this machine's run, to come back to
    run = repo.run("dvc", "exp", "run", "--temp", "-n", "quick", "-S", "train.lr=0.01", "-S", "train.epochs=1")
    assert run.returncode == 0 and run.stages_run == {"train", "adapt", "evaluate", "ood"}, run.output
    assert model_md5(repo) == own and repo.run("dvc", "status", "--json", check=True).output.strip() == "{}"
    records = {record["name"]: record for record in experiments(repo.run("dvc", "exp", "show", "--json").output)}
    assert set(records) == {"mine", "quick"}
    params, metrics = params_and_metrics(records["quick"])
    assert params["train"]["lr"] == 0.01 and params["train"]["epochs"] == 1
    assert 0.0 <= metrics["accuracy"] <= 1.0 and "loss" in metrics
    table = repo.run("dvc", "exp", "show", "--only-changed", "--md", check=True).output
    assert "quick" in table and "train.lr" in table

    repo.run("dvc", "exp", "apply", "quick", check=True)  # to look at it here
    assert model_md5(repo) != own and repo.params()["train"]["epochs"] == 1
    repo.run("dvc", "exp", "apply", "mine", check=True)  # the way back
    assert model_md5(repo) == own and repo.params()["train"]["epochs"] == 2
    assert repo.run("dvc", "status", "--json", check=True).output.strip() == "{}"
    repo.run("dvc", "exp", "remove", "quick", check=True)
