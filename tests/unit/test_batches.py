"""Batches with collected pictures mixed in: a fixed share per batch, seeded, and nothing changed without them."""

import pytest
import torch

from digits.data.splits import Normalization, Split
from digits.training.batches import TrainingSet, epoch_batches, training_set

NORM = Normalization(0.1, 0.3)


def split(n: int, label: int = 0) -> Split:
    return Split(torch.randn(n, 1, 28, 28), torch.full((n,), label, dtype=torch.int64), NORM)


def batches(data: TrainingSet, size: int, seed: int) -> list[torch.Tensor]:
    return list(epoch_batches(data, size, torch.Generator().manual_seed(seed)))


@pytest.mark.parametrize("collected", [None, split(0)])
def test_without_collected_pictures_the_batches_are_mnists_alone(collected: Split | None) -> None:
    train = split(100)
    data = training_set(train, collected, 0.25, 16)
    assert data.images is train.images and data.collected_per_batch == 0 and data.steps(16) == 6
    generator = torch.Generator().manual_seed(3)
    got = list(epoch_batches(data, 16, generator))
    expected = torch.randperm(100, generator=torch.Generator().manual_seed(3))[:96].reshape(6, 16)
    assert torch.equal(torch.stack(got), expected)
    reference = torch.Generator().manual_seed(3)
    torch.randperm(100, generator=reference)
    assert torch.equal(generator.get_state(), reference.get_state())  # nothing else drawn


def test_a_share_of_every_batch_comes_from_the_collected_pictures() -> None:
    data = training_set(split(100), split(7, label=3), 0.25, 16)
    assert data.collected_per_batch == 4 and len(data.labels) == 107 and data.steps(16) == 100 // 12
    got = batches(data, 16, 0)
    assert all(len(batch) == 16 for batch in got)
    mnist = torch.cat([batch[:12] for batch in got])
    assert len(set(mnist.tolist())) == len(mnist) and int(mnist.max()) < 100  # each MNIST image once at most
    collected = torch.cat([batch[12:] for batch in got])
    assert int(collected.min()) >= 100 and int(collected.max()) < 107  # drawn with replacement from the 7
    assert (data.labels[collected] == 3).all()


def test_collected_batches_are_seeded() -> None:
    data = training_set(split(100), split(7), 0.1, 16)
    assert all(torch.equal(a, b) for a, b in zip(batches(data, 16, 5), batches(data, 16, 5), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(batches(data, 16, 5), batches(data, 16, 6), strict=True))


def test_a_tiny_share_still_takes_one_picture_and_zero_takes_none() -> None:
    assert training_set(split(100), split(7), 0.001, 16).collected_per_batch == 1
    assert training_set(split(100), split(7), 0.0, 16).collected_per_batch == 0
