"""Batch augmentation: shapes, bounds, background fill and seeded reproducibility."""

import torch

from digits.data.image_ops import random_shift
from digits.data.splits import Normalization
from digits.training.augment import Augmentation


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
    aug = Augmentation(0, 0.0, 0.0, Normalization(0.1307, 0.3081), max_shear=1e-12)
    assert torch.allclose(aug.apply(images, aug.draw(4, torch.Generator().manual_seed(0))), images, atol=1e-5)


def test_affine_keeps_background_and_moves_ink_a_little() -> None:
    aug = Augmentation(2, 15.0, 0.1, Normalization(0.0, 1.0))  # fill: 0
    images = dot_images(100) + 1  # background 0, the dot 6
    out = aug.apply(images, aug.draw(100, torch.Generator().manual_seed(0)))
    assert out.shape == (100, 1, 28, 28)
    assert torch.allclose(out[:, :, :5, :], torch.tensor(0.0))  # far from the dot: still blank
    bright = out[:, 0] > 0.5
    rows, cols = bright.nonzero()[:, 1:].T
    assert (rows - 14).abs().max() <= 4 and (cols - 14).abs().max() <= 4


NORM = Normalization(0.1307, 0.3081)
BLANK = -NORM.mean / NORM.std  # a blank pixel, normalized
INK = (1 - NORM.mean) / NORM.std  # full ink, normalized


def bars(n: int) -> torch.Tensor:
    """(n, 1, 28, 28) normalized: a vertical bar 3 px wide, 14 px tall, in the middle (a '1')."""
    images = torch.full((n, 1, 28, 28), BLANK)
    images[:, :, 7:21, 13:16] = INK
    return images


def augment(n: int, seed: int = 0, **knobs: float) -> torch.Tensor:
    aug = Augmentation(**({"max_shift": 0, "max_degrees": 0.0, "max_scale": 0.0, "norm": NORM} | knobs))
    return aug.apply(bars(n), aug.draw(n, torch.Generator().manual_seed(seed)))


def ink_pixels(images: torch.Tensor) -> torch.Tensor:
    return (images > (BLANK + INK) / 2).sum((1, 2, 3))


def test_warp_with_every_knob_at_zero_is_identity() -> None:
    assert torch.allclose(augment(4, stroke_width=0.0, max_stretch=1e-12), bars(4), atol=1e-4)


def test_box_fill_stretches_the_ink_box_to_20x20() -> None:
    out = augment(8, box_fill=1.0)
    # the inside is all ink (bilinear sampling blends the outermost columns of the 3 px bar with the background)
    assert torch.allclose(out[:, :, 6:22, 8:20], torch.tensor(INK), atol=1e-3)
    assert torch.allclose(out[:, :, :3], torch.tensor(BLANK)) and torch.allclose(out[:, :, :, 25:], torch.tensor(BLANK))


def test_box_fill_applies_to_its_share_of_images() -> None:
    filled = (ink_pixels(augment(400, box_fill=0.25)) > 300).float().mean().item()
    assert 0.18 < filled < 0.32


def test_stretch_and_shear_keep_the_ink_but_move_it() -> None:
    for knobs in ({"max_stretch": 0.5}, {"max_shear": 30.0}, {"elastic": 1.0}):
        out = augment(50, **knobs)
        assert not torch.allclose(out, bars(50), atol=1e-3), knobs
        assert (ink_pixels(out) > 14).all(), knobs  # the bar (42 ink pixels) is still there
        assert torch.allclose(out[:, :, :4], torch.tensor(BLANK), atol=1e-3), knobs  # far from it, still blank


def test_stroke_width_thins_and_thickens() -> None:
    widths = ink_pixels(augment(400, stroke_width=1.0)) / 14  # bar height 14 rows
    assert widths.min() < 2.5 and widths.max() > 3.5  # 3 px: some thinner, some thicker
    assert torch.equal(ink_pixels(augment(10, stroke_width=0.0, max_shear=1e-9)), ink_pixels(bars(10)))


def test_speckle_sets_at_most_its_share_of_pixels() -> None:
    out = augment(200, speckle=0.1)
    changed = (~torch.isclose(out, bars(200))).float().mean((1, 2, 3))
    assert changed.max() <= 0.1 + 0.03 and changed.mean() > 0.015  # half of the speckle sets blank pixels blank
    assert (torch.isclose(out, torch.tensor(BLANK)) | torch.isclose(out, torch.tensor(INK))).all()


def test_a_share_of_the_draws_augments_that_share_of_the_batch() -> None:
    """What a torchrun rank does: its slice of the batch with its slice of the one batch's draws."""
    aug = Augmentation(2, 10.0, 0.1, NORM, 0.3, 15.0, 0.3, 0.5, 1.0, 0.05)
    images = bars(8) + torch.randn(8, 1, 28, 28) * 0.1
    draws = aug.draw(8, torch.Generator().manual_seed(0))
    whole = aug.apply(images, draws)
    assert torch.allclose(aug.apply(images[3:6], draws[:, 3:6]), whole[3:6], atol=1e-6)


def test_draws_are_reproducible_from_the_generator() -> None:
    assert torch.equal(
        augment(6, seed=1, stroke_width=0.5, elastic=1.0), augment(6, seed=1, stroke_width=0.5, elastic=1.0)
    )
    assert not torch.equal(augment(6, seed=1, elastic=1.0), augment(6, seed=2, elastic=1.0))


def test_blur_softens_its_share_of_images_and_keeps_the_ink_total() -> None:
    out = augment(200, blur=0.5)
    changed = ~torch.isclose(out, bars(200)).flatten(1).all(1)
    assert 0.4 < changed.float().mean() < 0.6  # (a blend amount near 0 barely changes an image)
    ink = lambda images: (images - BLANK).sum((1, 2, 3))  # noqa: E731
    assert torch.allclose(ink(out), ink(bars(200)), rtol=0.01)


def test_low_resolution_coarsens_its_share_of_images_and_keeps_the_blank_background() -> None:
    out = augment(200, low_resolution=0.5)
    changed = ~torch.isclose(out, bars(200), atol=1e-4).flatten(1).all(1)
    assert 0.4 < changed.float().mean() < 0.6
    assert torch.allclose(out[:, :, :2, :], torch.tensor(BLANK), atol=1e-5)  # far from the bar: still blank
    ink = lambda images: (images - BLANK).sum((1, 2, 3))  # noqa: E731
    assert torch.allclose(ink(out), ink(bars(200)), rtol=0.1)  # shrinking averages, enlarging interpolates


def test_low_resolution_off_draws_as_before() -> None:
    """A new knob left at 0 keeps every earlier model's draws, so its augmentation is unchanged."""
    gen = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    aug = Augmentation(2, 10.0, 0.1, NORM, blur=0.3)
    coarse = Augmentation(2, 10.0, 0.1, NORM, blur=0.3, low_resolution=0.5)
    assert aug.draw(8, gen()).shape[0] + 2 == coarse.draw(8, gen()).shape[0]
    assert torch.equal(coarse.draw(8, gen())[: aug.draw(8, gen()).shape[0]], aug.draw(8, gen()))
