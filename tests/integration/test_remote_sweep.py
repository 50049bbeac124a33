"""A sweep spread over machines: two workers (fresh clones, scripts/sweep-worker.sh) run one setting
each at the same time and auto-push; a third clone collects both experiments and their exact models."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.integration.pipeline_repo import ROOT, PipelineRepo, environment
from tests.integration.shared_project import SharedProject, lock_md5s, md5
from tests.integration.test_experiments import experiments, params_and_metrics
from tests.seaweed import S3Server

WORKER = ROOT / "scripts" / "sweep-worker.sh"
SETTINGS = {"lr-high": 0.02, "lr-low": 0.001}  # experiment name -> train.lr


@pytest.fixture
def shared(repo: PipelineRepo, s3: S3Server, tmp_path: Path) -> SharedProject:
    """conftest's shared project, with `ood` frozen: the sweep's machinery is under test here, and ood, the
    costliest stage on the small data, would only repeat the baseline's figures in each worker."""
    repo.run("dvc", "freeze", "ood", check=True)
    repo.commit("ood frozen: not under test here")
    return SharedProject.publish(repo, s3, tmp_path)


def start_worker(shared: SharedProject, folder: Path, name: str, lr: float) -> subprocess.Popen[str]:
    command = [str(WORKER), str(shared.origin), "-n", name, "-S", f"train.lr={lr}"]
    env = {**environment(), **shared.server.env(), "SWEEP_DIR": str(folder)}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_workers_then_collect(shared: SharedProject, tmp_path: Path) -> None:
    workers = {name: start_worker(shared, tmp_path / name, name, lr) for name, lr in SETTINGS.items()}
    try:
        outputs = {name: worker.communicate(timeout=600)[0] for name, worker in workers.items()}
    finally:
        for worker in workers.values():
            worker.kill()
    for name, worker in workers.items():
        assert worker.returncode == 0, outputs[name]
        assert "Running stage 'download'" not in outputs[name], "data should come from the remote"
        assert "Pushing experiment to 'origin'" in outputs[name]  # auto-push
        assert f"experiment {name} pushed" in outputs[name]

    lead = shared.clone(tmp_path / "lead")
    for name in SETTINGS:
        lead.run("dvc", "exp", "pull", "origin", name, check=True)
    records = {r["name"]: r for r in experiments(lead.run("dvc", "exp", "show", "--json", check=True).output)}
    assert set(records) == set(SETTINGS)
    for name, lr in SETTINGS.items():
        params, metrics = params_and_metrics(records[name])
        assert params["train"]["lr"] == lr and 0 <= metrics["accuracy"] <= 1

    for name in SETTINGS:
        collect(lead, name, worker_model=tmp_path / name / "models/model.pt")


def collect(lead: PipelineRepo, name: str, worker_model: Path) -> None:
    """`dvc exp apply` then `dvc pull`: the workspace holds exactly what the worker produced."""
    lead.run("dvc", "exp", "apply", name, check=True)
    pulled = lead.run("dvc", "pull")
    assert pulled.returncode == 0, pulled.output
    model = lead.path / "models/model.pt"
    assert md5(model) == md5(worker_model) == lock_md5s(lead)["models/model.pt"]
    metrics = json.loads((lead.path / "metrics/test.json").read_text())
    assert metrics == json.loads((worker_model.parents[1] / "metrics/test.json").read_text())
    lead.run("git", "checkout", "--", ".", check=True)  # back to the baseline for the next one
