"""A team shares one pipeline through a DVC remote on a real S3 server (SeaweedFS): `dvc push` from
the clone that ran it, `dvc pull` in a fresh clone. CI's `dvc repro --pull --allow-missing` in a fresh clone is
in test_artifacts.py, where it trains and pushes the model's second version."""

import json
from pathlib import Path

from tests.integration.pipeline_repo import PipelineRepo
from tests.integration.shared_project import OUTPUTS, SharedProject, md5, verify_outputs

UP_TO_DATE = "Data and pipelines are up to date."


def output_files(repo: PipelineRepo) -> dict[str, str]:
    """md5 of every file of the pipeline's cached outputs, by path."""
    files = [p for out in OUTPUTS for p in sorted((repo.path / out).rglob("*")) or [repo.path / out]]
    return {str(p.relative_to(repo.path)): md5(p) for p in files if p.is_file()}


def test_push_then_pull_in_a_fresh_clone(shared: SharedProject, tmp_path: Path) -> None:
    owner = shared.owner
    assert shared.remote_keys(), "dvc push wrote nothing to the bucket"
    assert "in sync" in owner.run("dvc", "status", "--cloud", check=True).output

    newcomer = shared.clone(tmp_path / "newcomer")
    assert not (newcomer.path / "models/model.pt").exists()
    pulled = newcomer.run("dvc", "pull")
    assert pulled.returncode == 0, pulled.output

    assert output_files(newcomer) == output_files(owner)
    verify_outputs(newcomer)
    assert UP_TO_DATE in newcomer.run("dvc", "status", check=True).output
    repro = newcomer.repro()
    assert repro.returncode == 0 and repro.stages_run == set(), repro.output
    assert newcomer.run("git", "status", "--porcelain", check=True).output == ""
    inspect = newcomer.run("digits", "inspect", "--model", "models/model.pt", check=True).output
    assert json.loads(inspect)["architecture"] == "cnn"
