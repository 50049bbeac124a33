"""DistributedDataParallel and the few collectives fit() needs; each is a no-op in a world of one.

Gradients: DDP all-reduces them after backward and divides by the world size. Each rank's loss is
the mean over its equal share of the global batch, so the result is the gradient of the mean loss
over the whole batch, as one process computes it, up to floating-point summation order.
"""

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from digits.distributed.world import World


def wrap(model: nn.Module, world: World, device: torch.device) -> nn.Module:
    """The module to train: `model` itself in a world of one, else DDP around it.

    On CUDA, BatchNorm becomes SyncBatchNorm (statistics over the global batch). PyTorch has no
    SyncBatchNorm on CPU, so with gloo each process normalizes with its own share's statistics.
    `model` keeps its own parameter names (no `module.` prefix): save it, not the wrapper.
    """
    if world.size == 1:
        return model
    if device.type == "cuda":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # swaps the BatchNorm children in place
    # Buffers (BatchNorm running statistics) are not synchronized on every step: fit() copies rank 0's
    # before each validation, which is the only time they are used.
    return DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None, forward_sync_buffers=False
    )


def sum_over_ranks(values: torch.Tensor, world: World) -> torch.Tensor:
    """`values` summed over all ranks (in place), e.g. per-rank loss sums and correct counts."""
    if world.size > 1:
        dist.all_reduce(values)
    return values


def copy_buffers_from_rank0(model: nn.Module, world: World) -> None:
    """Give every rank rank 0's buffers (BatchNorm running statistics differ per process on CPU)."""
    if world.size > 1:
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)


def gather_rows(part: torch.Tensor, rows: slice, total: int, world: World, device: torch.device) -> torch.Tensor:
    """Every rank's `part` (rows `rows` of a (total, ...) tensor) assembled on every rank, on the CPU.

    Each rank fills its rows of a zero tensor and the sum over ranks is the whole: adding zeros is
    exact, so the rows are bitwise what their rank computed.
    """
    if world.size == 1:
        return part
    whole = torch.zeros(total, *part.shape[1:], dtype=part.dtype, device=device)
    whole[rows] = part.to(device)
    dist.all_reduce(whole)
    return whole.cpu()
