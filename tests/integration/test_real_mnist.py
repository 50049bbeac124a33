"""The whole pipeline with the shipped params on real MNIST (slow: several minutes on 2 cores), then
its outputs shared through a real S3 server: `dvc push`, and `dvc pull` in a fresh clone."""

import json
from pathlib import Path

import pytest

from tests.integration.pipeline_repo import ROOT, PipelineRepo
from tests.integration.shared_project import SharedProject, verify_outputs
from tests.seaweed import S3Server

REAL_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REAL_MNIST.is_dir(), reason=f"real MNIST not found at {REAL_MNIST}"),
]


def test_default_params_on_real_mnist(tmp_path: Path, s3: S3Server) -> None:
    repo = PipelineRepo.create(tmp_path / "repo")
    run = repo.repro(env={"MNIST_MIRROR": str(REAL_MNIST)})
    assert run.returncode == 0, run.output
    assert run.stages_run == {"download", "preprocess", "train", "evaluate", "ood"}
    metrics = json.loads((repo.path / "metrics/test.json").read_text())
    assert metrics["n_images"] == 10_000
    assert metrics["accuracy"] >= 0.995, metrics  # issue targets: 99.0% (pipeline), none below 99.5% (training)

    repo.commit("real run")
    shared = SharedProject.publish(repo, s3, tmp_path)
    newcomer = shared.clone(tmp_path / "newcomer", credentials="env")
    newcomer.run("dvc", "pull", check=True)
    verify_outputs(newcomer)
    assert newcomer.repro().stages_run == set()
