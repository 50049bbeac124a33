"""A process's place in a torchrun job, read from torchrun's environment, and its thread share."""

import pytest
import torch

from digits.core.errors import PipelineError
from digits.core.runtime import available_cores, configure_torch
from digits.distributed.world import World, check_processes


def test_without_torchrun_a_process_is_a_world_of_one() -> None:
    assert World.from_env({}) == World(rank=0, size=1, local_rank=0, local_size=1, writer=True)


def test_torchrun_environment() -> None:
    env = {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}
    assert World.from_env(env) == World(rank=3, size=4, local_rank=1, local_size=2, writer=False)
    assert World.from_env({**env, "RANK": "0", "LOCAL_RANK": "0"}).writer  # rank 0 until elected otherwise


def test_processes_must_match_what_params_ask_for() -> None:
    check_processes(World(rank=1, size=4, local_rank=1, local_size=2), 2)
    with pytest.raises(PipelineError, match=r"^train\.processes: 2, but 1 training process\(es\) run on this machine"):
        check_processes(World(), 2)


@pytest.mark.parametrize("processes", [1, 2, 64])
def test_auto_threads_share_the_cores_among_processes(processes: int) -> None:
    before = torch.get_num_threads()
    try:
        configure_torch("auto", processes)
        assert torch.get_num_threads() == max(1, available_cores() // processes)
        configure_torch(3, processes)  # an explicit count is per process
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
