"""Training on several processes with the real torchrun, gloo on loopback and the real `dvc repro`:
the same results at any world size, two agents as two machines, a killed rank, bad launches.

Every process a test starts carries a tag in its environment (torchrun's workers inherit it but
run in their own sessions), so `launches()` stops all of them, whatever happens.
"""

import contextlib
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
import torch

from tests.integration.pipeline_repo import PipelineRepo, Run, environment
from tests.integration.test_reliability import digest, outputs, wait_for_train_epoch
from tests.support import build_once

TAG = "DIGITS_TEST_LAUNCH"
LAUNCH = ("python", "-m", "digits.distributed.launch")


class Launches:
    """Processes started by one test, marked with a tag in their environment."""

    def __init__(self) -> None:
        self.tag, self.started = uuid.uuid4().hex, []

    def start(self, repo: PipelineRepo, *command: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            command,
            cwd=repo.path,
            env={**environment(), **(env or {}), TAG: self.tag},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def processes(self) -> list[psutil.Process]:
        """Every live process carrying the tag: those started and all their descendants."""
        found = []
        for process in psutil.process_iter():
            try:
                if process.environ().get(TAG) == self.tag:
                    found.append(process)
            except psutil.Error:  # another user's process, or gone
                pass
        return found

    def worker(self, rank: int) -> psutil.Process:
        """The torchrun worker with global rank `rank`."""
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                if process.environ().get("RANK") == str(rank) and "stages.train" in process.cmdline():
                    return process
        raise AssertionError(f"no worker with rank {rank}")

    def stop(self) -> None:
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                process.kill()
        for process in self.started:
            process.wait()
            process.stdout.close()


@contextmanager
def launches() -> Iterator[Launches]:
    """Start processes in the block; on leaving it, however, every one of them is killed and reaped."""
    launched = Launches()
    try:
        yield launched
    finally:
        launched.stop()


def finish(process: subprocess.Popen[str], timeout: float = 300) -> Run:
    output = process.communicate(timeout=timeout)[0]
    return Run(process.returncode, output)


def run(repo: PipelineRepo, *command: str, env: dict[str, str] | None = None) -> Run:
    with launches() as launched:
        return finish(launched.start(repo, *command, env=env))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def weights(repo: PipelineRepo) -> dict[str, torch.Tensor]:
    return torch.load(repo.path / "models/mnist.pt", weights_only=True)["state_dict"]


def build_two_processes(baseline: PipelineRepo, folder: Path) -> dict:
    repo = baseline.copy_to(folder / "repo")
    repo.run("dvc", "freeze", "ood", check=True)  # not under test: the costliest stage on the small data
    repo.edit_params({"train": {"processes": 2}})
    done = run(repo, "dvc", "repro")
    assert done.returncode == 0, done.output
    assert done.stages_run == {"train", "adapt", "evaluate"}  # dvc.lock records the process count
    return {}


@pytest.fixture(scope="session")
def two_processes(baseline: tuple[PipelineRepo, Run], tmp_path_factory: pytest.TempPathFactory) -> PipelineRepo:
    """The small baseline after `dvc repro` with train.processes: 2 (the CNN with BatchNorm); read-only, and built
    once for all pytest-xdist workers."""
    folder, _ = build_once(tmp_path_factory, "two-processes", lambda folder: build_two_processes(baseline[0], folder))
    return PipelineRepo(folder / "repo")


def test_two_processes_write_one_plain_checkpoint(two_processes: PipelineRepo, repo: PipelineRepo) -> None:
    lock = (two_processes.path / "dvc.lock").read_text()
    assert "--nproc-per-node 2 -m stages.train" in lock and "train.processes: 2" in lock
    record = torch.load(two_processes.path / "models/mnist.pt", weights_only=True)
    assert record["train_params"]["processes"] == 2
    assert record["state_dict"].keys() == weights(repo).keys()  # no DDP `module.` prefix
    assert (two_processes.path / "metrics/test.json").is_file()  # evaluate read it as before


def test_two_process_repro_is_byte_identical(two_processes: PipelineRepo, tmp_path: Path) -> None:
    repo = two_processes.copy_to(tmp_path / "repo")
    before = outputs(repo)
    done = run(repo, "dvc", "repro", "--force", "--single-item", "train")
    assert done.returncode == 0, done.output
    assert done.stages_run == {"train"}
    assert outputs(repo) == before
    assert run(repo, "dvc", "status", "--json").output.strip().splitlines()[-1] == "{}"  # after: ood is frozen


def test_mlp_on_two_processes_matches_one_process(repo: PipelineRepo) -> None:
    """Without BatchNorm, 2 processes compute the same steps as 1, up to float32 summation order:
    each rank sums the gradient over its 16 images and the all-reduce averages the two halves,
    where one process sums all 32 at once. Measured here: after 36 SGD steps (lr 0.1, momentum
    0.9) the weights were at most 1.2e-7 apart, a few float32 ulps of weights of size 0.1-0.5.
    The tolerance, 2e-6, leaves room for other CPUs' kernels. A gradient summed instead of
    averaged (the same as doubling lr here) moved them by 0.1-0.4: plain SGD, unlike Adam, does
    not normalize a wrong gradient scale away."""
    mlp = {"model": "mlp", "optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "schedule": "constant"}
    runs = {}
    for processes in (1, 2):
        repo.edit_params({"train": {**mlp, "processes": processes}})
        done = run(repo, *LAUNCH, "--nproc-per-node", str(processes), "-m", "stages.train")
        assert done.returncode == 0, done.output
        runs[processes] = weights(repo)
    for name, one in runs[1].items():
        two = runs[2][name]
        assert torch.allclose(one, two, rtol=0, atol=2e-6), (name, (one - two).abs().max())
    assert any(not torch.equal(runs[1][n], runs[2][n]) for n in runs[1])  # really two computations


def test_two_agents_as_two_machines(two_processes: PipelineRepo, repo: PipelineRepo, tmp_path: Path) -> None:
    """Two torchrun agents, one process each, meet at a c10d rendezvous on 127.0.0.1 as two machines
    would: the workspace's runs `dvc repro` with torchrun's PET_* variables, the other the README's
    command in its own copy of the project. They train what one agent with two processes trains:
    the same world size, shares and thread count (1), and a sum of two numbers does not depend on
    their order, so the weights and training curves are bitwise the same. (The files differ only
    in train_params.processes, 1 per machine here.)"""
    other = repo.copy_to(tmp_path / "other-machine")
    (other.path / "models/mnist.pt").unlink()
    endpoint, lock_before = f"127.0.0.1:{free_port()}", (repo.path / "dvc.lock").read_text()
    rendezvous = ["--nnodes", "2", "--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint, "--rdzv-id", "two-machines"]
    pet = {"PET_NNODES": "2", "PET_RDZV_BACKEND": "c10d", "PET_RDZV_ENDPOINT": endpoint, "PET_RDZV_ID": "two-machines"}
    with launches() as launched:
        workspace = launched.start(repo, "dvc", "repro", "--force", "--single-item", "train", env=pet)
        joined = launched.start(other, *LAUNCH, *rendezvous, "--nproc-per-node", "1", "-m", "stages.train")
        results = finish(workspace), finish(joined)
    assert [r.returncode for r in results] == [0, 0], [r.output for r in results]
    assert "train: saved models/mnist.pt" in results[0].output and results[1].output == ""  # one writer
    assert not (other.path / "models/mnist.pt").exists()
    one_agent = weights(two_processes)
    assert all(torch.equal(w, one_agent[name]) for name, w in weights(repo).items())
    curves = [p.relative_to(repo.path) for p in (repo.path / "metrics/train").rglob("*.*")]
    assert curves and all(digest(repo.path / c) == digest(two_processes.path / c) for c in curves)
    assert (repo.path / "dvc.lock").read_text() != lock_before  # recorded by the workspace's dvc


def test_killed_rank_stops_the_stage_within_seconds(two_processes: PipelineRepo, tmp_path: Path) -> None:
    repo = two_processes.copy_to(tmp_path / "repo")  # ood frozen there
    repo.edit_params({"train": {"epochs": 500}})
    lock_before = (repo.path / "dvc.lock").read_text()
    shutil.rmtree(repo.path / "metrics/train")  # so that its first epoch line is this run's
    with launches() as launched:
        dvc = launched.start(repo, "dvc", "repro")
        wait_for_train_epoch(repo, dvc)
        rank1 = launched.worker(1)
        rank1.kill()  # SIGKILL, mid-epoch: the other rank waits for its gradients
        killed_at = time.monotonic()
        done = finish(dvc, timeout=60)
        seconds = time.monotonic() - killed_at
    assert done.returncode != 0
    assert seconds < 15, f"the stage took {seconds:.1f} s to fail"
    assert f"train: error: rank 1 (pid {rank1.pid}) was killed by SIGKILL" in done.output, done.output
    assert not (repo.path / "models/mnist.pt").exists()
    assert (repo.path / "dvc.lock").read_text() == lock_before
    repo.edit_params({"train": {"epochs": 1}})
    again = run(repo, "dvc", "repro")
    assert again.returncode == 0, again.output
    assert digest(repo.path / "models/mnist.pt") in (repo.path / "dvc.lock").read_text()


def assert_one_error_line(output: str, *needles: str) -> None:
    lines = [line for line in output.splitlines() if line.startswith("train: error: ")]
    assert len(lines) == 1 and all(n in lines[0] for n in needles), output
    assert "Traceback" not in output


def test_batch_size_must_divide_by_the_processes(repo: PipelineRepo) -> None:
    repo.edit_params({"train": {"processes": 2, "batch_size": 33}})
    done = run(repo, "dvc", "repro")
    assert done.returncode != 0
    assert_one_error_line(done.output, "train.batch_size: 33 does not divide by the 2 training processes")
    assert not (repo.path / "models/mnist.pt").exists()


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("no-such-host.invalid:29400", "cannot resolve host 'no-such-host.invalid'"),
        ("127.0.0.1:99999", "must be an integer between 0 and 65536"),
    ],
)
def test_bad_rendezvous_endpoint_is_one_line(repo: PipelineRepo, endpoint: str, message: str) -> None:
    command = [*LAUNCH, "--nnodes", "2", "--nproc-per-node", "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint]
    started = time.monotonic()
    done = run(repo, *command, "-m", "stages.train")
    assert done.returncode == 1
    assert_one_error_line(done.output, f"--rdzv-endpoint '{endpoint}'", message)
    assert time.monotonic() - started < 30
