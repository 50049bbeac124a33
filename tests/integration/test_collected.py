"""Collected pictures through the real pipeline: `dvc repro` versions them and adapts the model to them (the
loop's stages only), the holdout metric, and back to v1."""

import json

import numpy as np
import torch
import yaml

from digits.core.params import load_params
from digits.data.collection import Collection
from digits.model.checkpoint import load_checkpoint
from tests.integration.pipeline_repo import ROOT, PipelineRepo
from tests.support import synthetic_digits

COLLECTED = "data/collected"
ADAPT = load_params(ROOT / "params.yaml", "adapt")
ADAPT_DEFAULTS = {"collected_share": ADAPT.collected_share, "lr": ADAPT.lr, "blend": ADAPT.blend, "seed": ADAPT.seed}


def add_pictures(repo: PipelineRepo, n: int, seed: int) -> None:
    """`n` new synthetic pictures into the collection, as `digits collect` would store them."""
    images, labels = synthetic_digits(n, seed)
    collection = Collection(repo.path / COLLECTED)
    for pixels, label in zip(images, labels, strict=True):
        collection.store(pixels, int(label))


def out_hashes(repo: PipelineRepo) -> dict[str, str]:
    """dvc.lock's hash of every stage output, by path."""
    lock = yaml.safe_load((repo.path / "dvc.lock").read_text())
    return {out["path"]: out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])}


def holdout_images(repo: PipelineRepo) -> torch.Tensor:
    record = torch.load(repo.path / "data/processed_collected/holdout.pt", weights_only=True)
    return record["images"]


def test_new_pictures_version_retrain_and_go_back(repo: PipelineRepo) -> None:
    repo.run("git", "tag", "data-v1", check=True)
    v1 = out_hashes(repo)
    add_pictures(repo, 80, seed=7)
    assert "collected:" in repo.run("dvc", "status", check=True).output
    run = repo.repro()  # versions the pictures (the collected stage's output), then adapts the model to them
    assert run.returncode == 0, run.output
    assert run.stages_run == {"collected", "adapt", "evaluate", "ood"}  # not MNIST's; ood: it scores the new model
    assert "collected: 80 pictures in collected/" in run.output
    v2 = out_hashes(repo)
    assert v2["data/collected"] != v1["data/collected"]
    assert v2["data/processed"] == v1["data/processed"] and v2["models/mnist.pt"] == v1["models/mnist.pt"]
    assert v2["models/model.pt"] != v1["models/model.pt"] and v1["models/model.pt"] == v1["models/mnist.pt"]
    held = json.loads((repo.path / "metrics/test.json").read_text())["collected_holdout"]
    assert 0 < held["n_images"] < 80 and 0.0 <= held["accuracy"] <= 1.0
    assert held["n_images"] == len(holdout_images(repo))
    assert f"adapt: {80 - held['n_images']} collected pictures, 20 steps" in run.output  # the rest, trained on
    adaptation = load_checkpoint(repo.path / "models/model.pt").adaptation  # what `digits inspect` shows
    assert adaptation == {"pictures": 80 - held["n_images"], "steps": 20, "batch_size": 32, **ADAPT_DEFAULTS}
    diff = repo.run("dvc", "metrics", "diff", "--json", check=True).output
    assert "collected_holdout.accuracy" in json.loads(diff)["metrics/test.json"]
    repo.commit("data v2: 80 collected pictures")
    repo.run("git", "tag", "data-v2", check=True)

    repo.run("git", "checkout", "data-v1", "--", "dvc.lock", check=True)
    repo.run("dvc", "checkout", "collected", check=True)  # the folder as data-v1 recorded it
    assert Collection(repo.path / COLLECTED).pictures() == []
    back = repo.repro("-f", "--single-item", "collected", "adapt")  # recomputed from the empty folder, not restored
    assert back.returncode == 0 and back.stages_run == {"collected", "adapt"}, back.output
    kept = ("data/collected", "data/processed_collected", "models/model.pt")
    assert {k: out_hashes(repo)[k] for k in kept} == {k: v1[k] for k in kept}  # an empty collection: as before
    repo.run("git", "checkout", "data-v2", "--", "dvc.lock", check=True)
    repo.run("dvc", "checkout", "collected", check=True)  # and the pictures come back from the cache
    assert len(Collection(repo.path / COLLECTED).pictures()) == 80


def test_a_broken_picture_is_refused_before_dvc_versions_it(repo: PipelineRepo) -> None:
    add_pictures(repo, 3, seed=6)
    (repo.path / COLLECTED / "4").mkdir(exist_ok=True)
    (repo.path / COLLECTED / "4" / "notes.png").write_bytes(b"not a picture")
    run = repo.repro()
    assert run.returncode != 0 and "collected: error: 4/notes.png: not a collected picture" in run.output
    assert "Traceback" not in run.output
    assert (
        out_hashes(repo)["data/collected"]
        == yaml.safe_load(repo.run("git", "show", "HEAD:dvc.lock").output)["stages"]["collected"]["outs"][0]["md5"]
    )  # dvc.lock still records the collection before the bad file


def test_the_holdout_keeps_its_pictures_as_the_collection_grows(repo: PipelineRepo) -> None:
    add_pictures(repo, 60, seed=8)
    assert repo.repro("collected").returncode == 0
    before = holdout_images(repo)
    add_pictures(repo, 60, seed=9)
    assert repo.repro("collected").returncode == 0
    after = holdout_images(repo)
    assert len(after) > len(before) > 0
    rows = {tuple(np.round(image.flatten().numpy(), 4)) for image in after}
    assert all(tuple(np.round(image.flatten().numpy(), 4)) in rows for image in before)
