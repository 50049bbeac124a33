"""The model as a versioned artifact: GTO-style Git tags on the bare origin, the bytes on the S3 remote (a new
version trained and pushed by CI's line in a fresh clone), fetched with `dvc artifacts get` by version and by
stage, without a clone, and usable by `digits`."""

import json
from pathlib import Path

from tests.integration.pipeline_repo import PipelineRepo
from tests.integration.shared_project import SharedProject, lock_md5s, md5

ARTIFACT = "digits-classifier"


def tag(repo: PipelineRepo, name: str, message: str) -> None:
    """An annotated tag, as `gto register` / `gto assign` write them."""
    repo.run("git", "tag", "-a", name, "-m", message, check=True)
    repo.run("git", "push", "-q", "origin", name, check=True)


def get(shared: SharedProject, folder: Path, *selector: str) -> tuple[Path, str]:
    """`dvc artifacts get` of the model from the bare origin into `folder` (credentials from AWS_*)."""
    out = folder / "model.pt"
    run = PipelineRepo(folder, shared.server.env()).run(
        "dvc", "artifacts", "get", shared.origin.as_uri(), ARTIFACT, *selector, "-o", str(out)
    )
    return out, run.output if run.returncode == 0 else f"failed ({run.returncode}): {run.output}"


def test_ci_retrains_pushes_and_each_version_is_fetched_by_tag_and_stage(shared: SharedProject, tmp_path: Path) -> None:
    """v1.0.0 is the owner's model, assigned to prod. CI's line, `dvc repro --pull --allow-missing` in a fresh
    clone, runs nothing while the remote holds every output; after a train edit it runs train, adapt, evaluate
    and ood only, and pushes the new model, which becomes v1.1.0."""
    owner = shared.owner
    v1 = md5(owner.path / "models/model.pt")
    tag(owner, f"{ARTIFACT}@v1.0.0", f"Registering artifact {ARTIFACT} version v1.0.0")
    tag(owner, f"{ARTIFACT}#prod#1", f"Assigning stage prod to artifact {ARTIFACT} version v1.0.0")

    ci = shared.clone(tmp_path / "ci", credentials="env")
    first = ci.repro("--pull", "--allow-missing")
    assert first.returncode == 0 and first.stages_run == set(), first.output
    ci.edit_params({"train": {"lr": 0.02}})  # a second version of the model
    second = ci.repro("--pull", "--allow-missing")
    assert second.returncode == 0, second.output
    assert second.stages_run == {"train", "adapt", "evaluate", "ood"}
    assert not (ci.path / "data/raw").exists(), "download's output was needed by nothing that ran"
    assert md5(ci.path / "data/processed/train.pt") == md5(owner.path / "data/processed/train.pt")
    v2 = md5(ci.path / "models/model.pt")
    assert v2 != v1
    pushed = ci.run("dvc", "push")  # the new model goes up; the outputs it only pulled were there already
    assert pushed.returncode == 0, pushed.output
    assert lock_md5s(ci)["models/model.pt"] == v2
    assert f"{shared.prefix}/files/md5/{v2[:2]}/{v2[2:]}" in shared.remote_keys()
    assert "new:" not in ci.run("dvc", "status", "--cloud", check=True).output
    ci.commit("train: lr 0.02")
    ci.run("git", "push", "-q", "origin", "main", check=True)
    tag(ci, f"{ARTIFACT}@v1.1.0", f"Registering artifact {ARTIFACT} version v1.1.0")

    for selector, expected in ((("--rev", "v1.0.0"), v1), (("--rev", "v1.1.0"), v2), (("--stage", "prod"), v1)):
        folder = tmp_path / "-".join(selector).strip("-")
        folder.mkdir()
        model, output = get(shared, folder, *selector)
        assert model.is_file(), output
        assert md5(model) == expected, selector

    deployed = PipelineRepo(tmp_path / "rev-v1.1.0")
    summary = json.loads(deployed.run("digits", "inspect", "--model", "model.pt", check=True).output)
    assert summary["train_params"]["lr"] == 0.02
    examples = str(Path(__file__).resolve().parents[2] / "examples")
    assert deployed.run("digits", "predict", "--model", "model.pt", examples).returncode == 0

    (tmp_path / "unknown").mkdir()
    model, output = get(shared, tmp_path / "unknown", "--rev", "v9.9.9")
    assert output.startswith("failed (1)") and not model.exists()
    assert "Unable to find artifact" in output and "v9.9.9" in output, output  # DVC's words; README explains
