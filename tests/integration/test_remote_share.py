"""A team shares one pipeline through a DVC remote on a real S3 server (SeaweedFS): `dvc push` from
the clone that ran it, `dvc pull` or `dvc repro --pull --allow-missing` in fresh clones."""

import json
from pathlib import Path

from tests.integration.pipeline_repo import PipelineRepo
from tests.integration.shared_project import OUTPUTS, SharedProject, lock_md5s, md5, verify_outputs

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


def test_ci_repro_pull_allow_missing(shared: SharedProject, tmp_path: Path) -> None:
    """CI's line: nothing runs when the remote holds every output; after a train edit only train and evaluate."""
    ci = shared.clone(tmp_path / "ci", credentials="env")
    first = ci.repro("--pull", "--allow-missing")
    assert first.returncode == 0 and first.stages_run == set(), first.output

    ci.edit_params({"train": {"lr": 0.02}})
    second = ci.repro("--pull", "--allow-missing")
    assert second.returncode == 0, second.output
    assert second.stages_run == {"train", "adapt", "evaluate", "ood"}
    assert not (ci.path / "data/raw").exists(), "download's output was needed by nothing that ran"
    assert md5(ci.path / "data/processed/train.pt") == md5(shared.owner.path / "data/processed/train.pt")
    assert md5(ci.path / "models/model.pt") != md5(shared.owner.path / "models/model.pt")
    pushed = ci.run("dvc", "push")  # the new model goes up; the outputs it only pulled were there already
    assert pushed.returncode == 0, pushed.output
    model = lock_md5s(ci)["models/model.pt"]
    assert f"{shared.prefix}/files/md5/{model[:2]}/{model[2:]}" in shared.remote_keys()
    assert "new:" not in ci.run("dvc", "status", "--cloud", check=True).output
