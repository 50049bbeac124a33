"""The model as a versioned artifact: GTO-style Git tags on the bare origin, the bytes on the S3 remote,
fetched with `dvc artifacts get` by version and by stage, without a clone, and usable by `digits`."""

import json
from pathlib import Path

from tests.integration.pipeline_repo import PipelineRepo
from tests.integration.shared_project import SharedProject, md5

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


def test_get_by_version_and_stage(shared: SharedProject, tmp_path: Path) -> None:
    owner = shared.owner
    v1 = md5(owner.path / "models/model.pt")
    tag(owner, f"{ARTIFACT}@v1.0.0", f"Registering artifact {ARTIFACT} version v1.0.0")
    tag(owner, f"{ARTIFACT}#prod#1", f"Assigning stage prod to artifact {ARTIFACT} version v1.0.0")

    owner.run("dvc", "freeze", "ood", check=True)  # not under test: the costliest stage on the small data
    owner.edit_params({"train": {"lr": 0.02}})  # a second version of the model
    assert owner.repro().stages_run == {"train", "adapt", "evaluate"}
    owner.commit("train: lr 0.02")
    owner.run("git", "push", "-q", "origin", "main", check=True)
    owner.run("dvc", "push", check=True)
    v2 = md5(owner.path / "models/model.pt")
    assert v2 != v1
    tag(owner, f"{ARTIFACT}@v1.1.0", f"Registering artifact {ARTIFACT} version v1.1.0")

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


def test_unknown_version_is_a_clear_error(shared: SharedProject, tmp_path: Path) -> None:
    model, output = get(shared, tmp_path, "--rev", "v9.9.9")
    assert output.startswith("failed (1)") and not model.exists()
    assert "Unable to find artifact" in output and "v9.9.9" in output, output  # DVC's words; README explains
