"""Faults of team storage, against a real S3 server (SeaweedFS) of each test's own: the server stopped
during `dvc push`, wrong credentials, an object missing from the remote, `dvc pull` killed midway.

A large DVC-tracked file (BIG_MB of random bytes) beside the pipeline's outputs makes a transfer last
long enough to be interrupted in the middle."""

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.pipeline_repo import PipelineRepo, environment
from tests.integration.shared_project import (
    OUTPUTS,
    SharedProject,
    lock_md5s,
    md5,
    set_local_credentials,
    verify_outputs,
)
from tests.seaweed import S3Server, seaweed_server

BIG = "data/big.bin"
BIG_MB = 96
# What S3 answers a wrong secret, depending on the request (README: Troubleshooting)
DENIED = r"SignatureDoesNotMatch|\(403\) when calling the \w+ operation: Forbidden"
TRANSFER_TIMEOUT = 180  # seconds any one dvc push/pull may take here, retries included


@pytest.fixture
def own_s3(tmp_path: Path) -> Iterator[S3Server]:
    """A server this test alone uses, free to stop and restart."""
    with seaweed_server(tmp_path / "seaweed") as running:
        yield running


@pytest.fixture
def heavy(repo: PipelineRepo, own_s3: S3Server, tmp_path: Path) -> SharedProject:
    """The baseline project plus BIG, shared but not yet pushed."""
    (repo.path / BIG).write_bytes(os.urandom(BIG_MB << 20))
    repo.run("dvc", "add", BIG, check=True)
    repo.commit("a large data file")
    return SharedProject.publish(repo, own_s3, tmp_path, push=False)


def start(repo: PipelineRepo, *command: str) -> subprocess.Popen[str]:
    env = {**environment(), **repo.env}
    return subprocess.Popen(
        command,
        cwd=repo.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_until(condition: Callable[[], object], process: subprocess.Popen[str], what: str, timeout: float = 60) -> None:
    """Poll `condition` until true; the transfer must still be running then, or it was not interrupted midway."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"finished before {what}:\n{process.communicate()[0]}"
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.02)
    assert process.poll() is None, f"finished before {what}"


def stored_bytes(server: S3Server) -> int:
    """What the server's volumes hold on disk (they grow as uploads arrive)."""
    return folder_bytes(server.directory / "data")


def folder_bytes(folder: Path) -> int:
    """Bytes in the files below `folder`, read while a transfer adds and removes temporary files."""
    total = 0
    for parent, _, files in os.walk(folder):  # os.walk skips folders that vanish under it
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(parent, name)).st_size
    return total


def workspace_outputs(repo: PipelineRepo) -> list[str]:
    """The files of the pipeline's cached outputs and of BIG that are in the workspace."""
    paths = [repo.path / out for out in (*OUTPUTS, BIG)]
    files = [f for p in paths for f in ([*p.rglob("*")] if p.is_dir() else [p]) if f.is_file()]
    return sorted(str(f.relative_to(repo.path)) for f in files)


def names(folder: Path) -> list[str]:
    """Everything in `folder`, hidden and temporary files included."""
    return sorted(p.name for p in folder.iterdir())


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        output = process.communicate(timeout=TRANSFER_TIMEOUT)[0]
    finally:
        kill_group(process)
    return process.returncode, output


def kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process.stdout:
        process.stdout.close()


def test_server_stopped_during_push(heavy: SharedProject, own_s3: S3Server, tmp_path: Path) -> None:
    push = start(heavy.owner, "dvc", "push")
    try:
        wait_until(lambda: stored_bytes(own_s3) > BIG_MB << 18, push, "a quarter of the large file arrive")
        own_s3.stop()
        code, output = finish(push)
    finally:
        kill_group(push)
    assert code != 0
    assert "Could not connect to the endpoint URL" in output and "failed to upload" in output, output

    own_s3.start()  # the same data folder and ports
    again = heavy.owner.run("dvc", "push")
    assert again.returncode == 0, again.output
    assert "in sync" in heavy.owner.run("dvc", "status", "--cloud", check=True).output
    newcomer = heavy.clone(tmp_path / "newcomer")
    newcomer.run("dvc", "pull", check=True)
    assert md5(newcomer.path / BIG) == md5(heavy.owner.path / BIG)


def test_wrong_credentials_write_nothing(heavy: SharedProject, own_s3: S3Server, tmp_path: Path) -> None:
    owner = heavy.owner
    set_local_credentials(owner, own_s3.access_key, "not-the-secret")
    push = owner.run("dvc", "push")
    assert push.returncode != 0
    assert re.search(DENIED, push.output), push.output
    assert heavy.remote_keys() == {}

    set_local_credentials(owner, own_s3.access_key, own_s3.secret_key)
    owner.run("dvc", "push", check=True)
    newcomer = heavy.clone(tmp_path / "newcomer", credentials="env")
    newcomer.env.update(own_s3.env(secret_key="not-the-secret"))
    pull = newcomer.run("dvc", "pull")
    assert pull.returncode != 0 and re.search(DENIED, pull.output), pull.output
    assert workspace_outputs(newcomer) == [], "nothing may be written with wrong credentials"


def test_object_missing_from_remote(heavy: SharedProject, own_s3: S3Server, tmp_path: Path) -> None:
    heavy.owner.run("dvc", "push", check=True)
    model = lock_md5s(heavy.owner)["models/model.pt"]
    own_s3.client().delete_object(Bucket=own_s3.bucket, Key=f"{heavy.prefix}/files/md5/{model[:2]}/{model[2:]}")

    newcomer = heavy.clone(tmp_path / "newcomer")
    pull = newcomer.run("dvc", "pull")
    assert pull.returncode != 0
    assert "models/model.pt" in pull.output and model in pull.output, pull.output
    assert names(newcomer.path / "models") == [".gitignore"], "no model, whole or partial"
    assert md5(newcomer.path / BIG) == md5(heavy.owner.path / BIG)  # the rest arrived whole
    assert "models/model.pt" in newcomer.run("dvc", "status").output


def test_pull_killed_midway_then_completed(heavy: SharedProject, own_s3: S3Server, tmp_path: Path) -> None:
    heavy.owner.run("dvc", "push", check=True)
    newcomer = heavy.clone(tmp_path / "newcomer")
    pull = start(newcomer, "dvc", "pull")
    try:
        wait_until(lambda: folder_bytes(newcomer.path) > BIG_MB << 18, pull, "a quarter of the large file arrive")
    finally:
        kill_group(pull)
    assert pull.returncode == -signal.SIGKILL
    assert not (newcomer.path / BIG).exists(), "killed before the large file was complete"

    again = newcomer.run("dvc", "pull")
    assert again.returncode == 0, again.output
    assert "Data and pipelines are up to date." in newcomer.run("dvc", "status", check=True).output
    verify_outputs(newcomer)
    assert md5(newcomer.path / BIG) == md5(heavy.owner.path / BIG)
    assert names(newcomer.path / "data") == [
        *(".gitignore", "big.bin", "big.bin.dvc", "collected", "ood_inputs.pt"),
        *("processed", "processed_collected", "raw"),
    ]
    assert names(newcomer.path / "models") == [".gitignore", "mnist.pt", "model.pt"]
