"""Which part of the data a rank computes: a contiguous share, so the batches do not depend on the
world size.

Every rank draws each step's global batch (its indices and augmentation draws) from the same
seeded generator, then computes its contiguous share. Unlike DistributedSampler, which strides
indices (rank::world) and pads, the shares of all ranks together are exactly the batch one process
would take, in the same order.
"""

from digits.core.errors import PipelineError


def share(n: int, rank: int, size: int) -> slice:
    """Rank `rank`'s contiguous part of range(n) when split `size` ways; the first n % size parts
    are one longer (torch.tensor_split's rule)."""
    assert 0 <= rank < size, (rank, size)
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (rank < extra))


def check_batch_divides(batch_size: int, world_size: int) -> None:
    """Every rank computes an equal share of each batch, so their mean gradients average exactly."""
    if batch_size % world_size:
        raise PipelineError(
            f"train.batch_size: {batch_size} does not divide by the {world_size} training processes "
            "(train.processes on each machine); every process takes an equal share of each batch"
        )
