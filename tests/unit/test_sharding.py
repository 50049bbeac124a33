"""The shard logic: at every world size the ranks' shares of a step are exactly the one-process
batch, with the same augmentation draws, so the data order does not depend on the world size."""

import pytest
import torch

from digits.core.errors import PipelineError
from digits.data.image_ops import random_shift
from digits.data.splits import Normalization
from digits.distributed.sharding import check_batch_divides, share
from digits.distributed.world import World
from digits.training.augment import Augmentation
from digits.training.epoch import Trainer, rank_batch

NORM = Normalization(0.4, 1.0)  # a blank pixel is -0.4
AUGMENTATIONS = {
    "affine": Augmentation(max_shift=2, max_degrees=10.0, max_scale=0.1, norm=NORM),
    "style": Augmentation(2, 10.0, 0.1, NORM, 0.3, 15.0, 0.3, 0.5, 1.0, 0.05, 0.3, 0.3),  # every knob on
    "shift": Augmentation(max_shift=2, max_degrees=0.0, max_scale=0.0, norm=NORM),
    "none": Augmentation(max_shift=0, max_degrees=0.0, max_scale=0.0, norm=NORM),
}


@pytest.mark.parametrize("size", [1, 2, 3, 4])
@pytest.mark.parametrize("n", [0, 1, 5, 12, 13])
def test_shares_split_a_range_in_order(n: int, size: int) -> None:
    parts = [share(n, rank, size) for rank in range(size)]
    assert [i for part in parts for i in range(n)[part]] == list(range(n))  # contiguous, in rank order
    lengths = [len(range(n)[part]) for part in parts]
    assert max(lengths) - min(lengths) <= 1
    assert lengths == [len(t) for t in torch.arange(n).tensor_split(size)]


def trainer_for(augmentation: Augmentation, seed: int) -> Trainer:
    """Only the fields rank_batch and the draws use; the rest belong to fit()."""
    return Trainer(None, None, None, None, torch.Generator().manual_seed(seed), augmentation, False, World())


@pytest.mark.parametrize("kind", list(AUGMENTATIONS))
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_rank_shares_together_are_the_one_process_batch(kind: str, size: int) -> None:
    images, labels = torch.randn(40, 1, 28, 28), torch.arange(40) % 10
    batch_size, steps = 12, 3  # divides by 1, 2, 3 and 4
    # Every rank draws each step's global batch from its own copy of the seeded generator ...
    ranks = [trainer_for(AUGMENTATIONS[kind], seed=7) for _ in range(size)]
    one = trainer_for(AUGMENTATIONS[kind], seed=7)
    for step in range(steps):
        batch = torch.randperm(40, generator=one.generator)[:batch_size]
        draws = one.augmentation.draw(batch_size, one.generator)
        whole_x, whole_y = rank_batch(images, labels, batch, draws, slice(0, batch_size), one)
        xs, ys = [], []
        for rank, trainer in enumerate(ranks):
            rank_order = torch.randperm(40, generator=trainer.generator)[:batch_size]
            rank_draws = trainer.augmentation.draw(batch_size, trainer.generator)
            assert torch.equal(rank_order, batch) and torch.equal(rank_draws, draws), step  # the same draws
            x, y = rank_batch(images, labels, rank_order, rank_draws, share(batch_size, rank, size), trainer)
            assert len(y) == batch_size // size
            xs.append(x)
            ys.append(y)
        # ... and computes its contiguous share: together, exactly the batch one process computes.
        assert torch.equal(torch.cat(ys), whole_y)
        assert torch.equal(torch.cat(xs), whole_x)


def test_one_process_batch_is_the_plain_augmentation() -> None:
    """The split into draw and apply changes nothing: the same pixels as one random_shift call."""
    images = torch.randn(16, 1, 28, 28)
    shift = AUGMENTATIONS["shift"]
    drawn = shift.apply(images, shift.draw(16, torch.Generator().manual_seed(3)))
    assert torch.equal(drawn, random_shift(images, 2, torch.Generator().manual_seed(3), fill=-0.4))


def test_batch_size_must_divide_by_the_world_size() -> None:
    check_batch_divides(128, 4)
    with pytest.raises(PipelineError, match=r"^train\.batch_size: 100 does not divide by the 3 training processes"):
        check_batch_divides(100, 3)
