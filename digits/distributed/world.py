"""Who this process is in a torchrun job, its process group, and the one process that writes.

torchrun describes each worker in environment variables (RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE); a process started without it is rank 0 of a world of one, and needs no group.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta

import torch
import torch.distributed as dist

from digits.core.errors import PipelineError

# How long a collective waits for the other processes before it fails, so a stuck process cannot
# hang the stage. A process that dies is noticed sooner: gloo sees its socket close, and torchrun
# stops the other workers within about a second.
COLLECTIVE_TIMEOUT = timedelta(seconds=60)


@dataclass(frozen=True)
class World:
    rank: int = 0  # 0..size-1 over all machines
    size: int = 1
    local_rank: int = 0  # among the processes on this machine
    local_size: int = 1
    writer: bool = True  # prints progress and writes the outputs; exactly one process is

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "World":
        if "WORLD_SIZE" not in env:
            return cls()
        rank, size = int(env["RANK"]), int(env["WORLD_SIZE"])
        return cls(rank, size, int(env["LOCAL_RANK"]), int(env["LOCAL_WORLD_SIZE"]), writer=rank == 0)


ONE_PROCESS = World()  # a process started without torchrun


def local_device(device: torch.device, world: World) -> torch.device:
    """On CUDA each process on a machine takes its own GPU (NCCL refuses two ranks on one)."""
    if device.type != "cuda" or world.size == 1:
        return device
    if world.local_rank >= torch.cuda.device_count():
        raise PipelineError(
            f"train.processes: {world.local_size} processes on this machine but torch sees "
            f"{torch.cuda.device_count()} CUDA device(s); use one process per GPU"
        )
    return torch.device("cuda", world.local_rank)


@contextmanager
def process_group(world: World, device: torch.device) -> Iterator[World]:
    """Join the job's process group (gloo on CPU, NCCL on CUDA) for the block; yields `world`
    with its writer elected. A world of one has no group: collectives are skipped."""
    if world.size == 1:
        yield world
        return
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if cuda else "gloo", timeout=COLLECTIVE_TIMEOUT, device_id=device if cuda else None)
    try:
        yield replace(world, writer=elect_writer(world, device))
    finally:
        dist.destroy_process_group()


def elect_writer(world: World, device: torch.device) -> bool:
    """Rank 0, unless another machine runs the stage under `dvc repro`: then the lowest rank there.

    The outputs belong in the workspace whose `dvc repro` records them in dvc.lock, and torchrun's
    c10d rendezvous numbers machines by host name, not by who started first. DVC sets DVC_STAGE
    in the environment of the commands it runs.
    """
    under_dvc = "DVC_STAGE" in os.environ
    key = torch.tensor([world.rank if under_dvc else world.size + world.rank], device=device)
    dist.all_reduce(key, op=dist.ReduceOp.MIN)  # the lowest rank under dvc, else size + 0
    return int(key.item()) % world.size == world.rank


def wait_for_all(world: World) -> None:
    """Return once every process got here: the writer saves only after all of them finished."""
    if world.size > 1:
        dist.barrier()


def check_processes(world: World, processes: int) -> None:
    """The processes on this machine are the ones params.yaml asks for (what dvc.lock records)."""
    if world.local_size != processes:
        raise PipelineError(
            f"train.processes: {processes}, but {world.local_size} training process(es) run on this machine; "
            f"start the stage with `dvc repro` or `python -m digits.distributed.launch "
            f"--nproc-per-node {processes} -m stages.train`"
        )
