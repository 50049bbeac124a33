"""Batch augmentation: shapes, bounds, background fill and seeded reproducibility."""

import torch

from digits.augment import random_affine, random_shift


def dot_images(n: int) -> torch.Tensor:
    images = torch.full((n, 1, 28, 28), -1.0)
    images[:, 0, 14, 14] = 5.0  # one bright pixel in the middle of a blank image
    return images


def test_shift_moves_each_image_by_at_most_max_shift() -> None:
    shifted = random_shift(dot_images(200), 2, torch.Generator().manual_seed(0), fill=-1.0)
    assert shifted.shape == (200, 1, 28, 28)
    rows, cols = (shifted[:, 0] == 5.0).nonzero()[:, 1:].T
    assert len(rows) == 200  # the dot survives in every image
    assert (rows - 14).abs().max() == 2 and (cols - 14).abs().max() == 2
    assert set(torch.unique(shifted).tolist()) == {-1.0, 5.0}  # uncovered pixels get the fill


def test_shift_is_reproducible_from_the_generator() -> None:
    a = random_shift(dot_images(10), 2, torch.Generator().manual_seed(1), fill=-1.0)
    b = random_shift(dot_images(10), 2, torch.Generator().manual_seed(1), fill=-1.0)
    c = random_shift(dot_images(10), 2, torch.Generator().manual_seed(2), fill=-1.0)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_affine_without_motion_is_identity() -> None:
    images = torch.randn(4, 1, 28, 28)
    out = random_affine(images, 0, 0.0, 0.0, torch.Generator().manual_seed(0), fill=-0.4)
    assert torch.allclose(out, images, atol=1e-5)


def test_affine_keeps_background_and_moves_ink_a_little() -> None:
    out = random_affine(dot_images(100), 2, 15.0, 0.1, torch.Generator().manual_seed(0), fill=-1.0)
    assert out.shape == (100, 1, 28, 28)
    assert torch.allclose(out[:, :, :5, :], torch.tensor(-1.0))  # far from the dot: still blank
    bright = out[:, 0] > -0.5
    rows, cols = bright.nonzero()[:, 1:].T
    assert (rows - 14).abs().max() <= 4 and (cols - 14).abs().max() <= 4
