"""The missing-model message names the command that brings the file back: `dvc checkout` when the DVC
cache holds it, `dvc pull` when a remote may, `dvc repro` when nothing recorded or kept it."""

import hashlib
import os
from pathlib import Path

import pytest
import yaml
from dvc.repo import Repo

from digits.core.errors import PipelineError
from digits.model.checkpoint import load_checkpoint
from digits.model.restore import restore_hint

MODEL = b"the model's bytes"
MD5 = hashlib.md5(MODEL).hexdigest()  # DVC's content address of the file


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DVC project (no git) whose stage `train` outputs models/model.pt; the file itself is absent."""
    Repo.init(str(tmp_path), no_scm=True).close()
    stage = {"cmd": "python train.py", "outs": ["models/model.pt"]}
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"train": stage}}))
    (tmp_path / "models").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def record_in_lock(project: Path) -> None:
    out = {"path": "models/model.pt", "hash": "md5", "md5": MD5, "size": len(MODEL)}
    lock = {"schema": "2.0", "stages": {"train": {"cmd": "python train.py", "outs": [out]}}}
    (project / "dvc.lock").write_text(yaml.safe_dump(lock))


def add_remote(project: Path, default: bool) -> None:
    with Repo(str(project)) as repo, repo.config.edit() as config:
        config["remote"]["store"] = {"url": str(project.parent / "elsewhere")}
        if default:
            config["core"]["remote"] = "store"


def test_outside_a_dvc_project_it_says_repro(tmp_path: Path) -> None:
    assert restore_hint(tmp_path / "m.pt") == "run `dvc repro` to train one"


def test_not_recorded_in_dvc_lock_it_says_repro(project: Path) -> None:
    assert restore_hint(project / "models/model.pt") == "run `dvc repro` to train one"


def test_in_the_cache_it_says_checkout(project: Path) -> None:
    record_in_lock(project)
    cached = project / ".dvc/cache/files/md5" / MD5[:2] / MD5[2:]
    cached.parent.mkdir(parents=True)
    cached.write_bytes(MODEL)
    hint = restore_hint(project / "models/model.pt")
    assert hint == f"dvc.lock records it and the DVC cache holds it: run `dvc checkout {Path('models/model.pt')}`"


def test_with_a_default_remote_it_says_pull(project: Path) -> None:
    record_in_lock(project)
    add_remote(project, default=True)
    hint = restore_hint(project / "models/model.pt")
    assert hint == "dvc.lock records it: run `dvc pull models/model.pt` (from the remote 'store')"


def test_with_a_remote_but_no_default_it_names_the_remote(project: Path) -> None:
    record_in_lock(project)
    add_remote(project, default=False)
    assert "run `dvc pull -r store models/model.pt`" in restore_hint(project / "models/model.pt")


def test_recorded_but_kept_nowhere_it_says_repro(project: Path) -> None:
    record_in_lock(project)
    hint = restore_hint(project / "models/model.pt")
    assert hint.endswith("not in the DVC cache and no remote is configured; run `dvc repro` to train one again")


def test_load_checkpoint_says_it_in_one_line(project: Path) -> None:
    record_in_lock(project)
    os.chdir(project / "models")  # the path is shown as typed from the current folder
    with pytest.raises(PipelineError) as error:
        load_checkpoint(Path("model.pt"))
    assert str(error.value) == (
        "model.pt: file not found; dvc.lock records it, but it is not in the DVC cache and no remote is configured; "
        "run `dvc repro` to train one again"
    )
