"""Shared fixtures: one loopback MNIST mirror per session, and one fully reproduced small repository for the
whole run, built by the first pytest-xdist worker that asks and read by the others."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pipeline_repo import PipelineRepo, Run
from tests.integration.shared_project import SharedProject
from tests.seaweed import S3Server, seaweed_server
from tests.support import MirrorServer, build_once, mirror_server, sha256, synthetic_mnist, write_mirror

PAYLOADS = synthetic_mnist(n_train=700, n_test=200)
HASHES = {name: sha256(data) for name, data in PAYLOADS.items()}


@pytest.fixture(scope="session")
def server() -> Iterator[MirrorServer]:
    """Serves the small synthetic MNIST at {url}/mnist/."""
    with mirror_server() as running:
        running.serve_mirror("/mnist", PAYLOADS)
        yield running


def build_baseline(folder: Path) -> dict:
    """`git clone` of the project, then `dvc repro` as its first command, committed; that run's exit and output.
    MNIST comes from a local folder (a mirror every worker can read, as MNIST_MIRROR names one); the HTTP mirrors
    have tests of their own."""
    mirror = write_mirror(folder / "mirror", PAYLOADS)
    project = PipelineRepo.create_small(folder / "project", str(mirror), HASHES)
    repo = project.clone(folder / "repo")
    repo.run("git", "remote", "remove", "origin", check=True)  # the scaffold it came from; tests add their own
    run = repo.repro()
    assert run.returncode == 0, run.output
    repo.commit("baseline run")
    return {"returncode": run.returncode, "output": run.output}


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineRepo, Run]:
    """A fresh clone after its first command, a full `dvc repro`, with dvc.lock and metrics committed; read-only,
    and built once for all pytest-xdist workers."""
    folder, first_run = build_once(tmp_path_factory, "baseline", build_baseline)
    return PipelineRepo(folder / "repo"), Run(**first_run)


@pytest.fixture
def repo(baseline: tuple[PipelineRepo, Run], tmp_path: Path) -> PipelineRepo:
    """A private copy of the baseline repository, free to change."""
    return baseline[0].copy_to(tmp_path / "repo")


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 server (SeaweedFS on loopback) shared by the session; each project uses its own folder."""
    with seaweed_server(tmp_path_factory.mktemp("seaweed")) as running:
        yield running


@pytest.fixture
def shared(repo: PipelineRepo, s3: S3Server, tmp_path: Path) -> SharedProject:
    """The baseline project with a bare Git origin and its outputs pushed to a DVC remote on `s3`."""
    return SharedProject.publish(repo, s3, tmp_path)
