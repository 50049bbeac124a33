"""The robustness suite's variants on tiny tensors: shape and dtype kept, pixels in [0, 1],
deterministic for a seed, and each doing what its name says."""

import inspect

import pytest
import torch

from digits.data.image_ops import INK, ink_boxes
from digits.evaluation.ood.variants import GAP_SIDE, GAPS, SPECKLE, VARIANTS, make_variant


def ink_box(image: torch.Tensor) -> tuple[int, ...]:
    """(top, left, height, width) of the ink in a (1, 28, 28) image."""
    top, left, bottom, right = ink_boxes(image > INK)[0].int().tolist()
    return top, left, bottom - top, right - left


SEEDED = {"off_centre", "rotated", "speckled", "broken"}  # the variants that draw random numbers


def bar_digits(n: int = 6) -> torch.Tensor:
    """(n, 1, 28, 28) in [0, 1]: a '1', a vertical bar 3 px wide and 14 px tall, in the middle."""
    pixels = torch.zeros(n, 1, 28, 28)
    pixels[:, :, 7:21, 13:16] = 1.0
    return pixels


def centre_of_mass(pixels: torch.Tensor) -> torch.Tensor:
    """(N, 1, 28, 28) -> (N, 2) row, column."""
    grid = torch.arange(28.0)
    mass = pixels[:, 0].sum((1, 2))
    return torch.stack([(pixels[:, 0].sum(2) * grid).sum(1) / mass, (pixels[:, 0].sum(1) * grid).sum(1) / mass], 1)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_keeps_shape_dtype_and_range(name: str) -> None:
    out = make_variant(name, bar_digits(), seed=0)
    assert out.shape == (6, 1, 28, 28) and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_is_deterministic_for_a_seed(name: str) -> None:
    digits = torch.rand(8, 1, 28, 28) * (torch.rand(8, 1, 28, 28) > 0.7)
    assert torch.equal(make_variant(name, digits, 3), make_variant(name, digits, 3))
    if name in SEEDED:
        assert not torch.equal(make_variant(name, digits, 3), make_variant(name, digits, 4))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_never_sees_labels(name: str) -> None:
    """Label-preserving by construction: a variant is a function of the images (and a generator) only."""
    assert list(inspect.signature(VARIANTS[name]).parameters) == ["pixels", "generator"]


def test_box_normalized_stretches_a_thin_one_into_the_square_box() -> None:
    out = make_variant("box_normalized", bar_digits(), 0)
    assert ink_box(out[0]) == (4, 4, 20, 20)
    assert out[0, 0, 4:24, 4:24].mean() > 0.95 and out[0, 0, :4].sum() == 0


def test_slants_lean_opposite_ways() -> None:
    left, right = (make_variant(name, bar_digits(1), 0)[0, 0] for name in ("slant_left", "slant_right"))
    top_left, top_right = (image[8].argmax().item() for image in (left, right))
    bottom_left, bottom_right = (image[19].argmax().item() for image in (left, right))
    assert (top_left - bottom_left) * (top_right - bottom_right) < 0


def test_thin_and_thick_change_stroke_width_only() -> None:
    bar = bar_digits(1)
    thin, thick = make_variant("thin", bar, 0), make_variant("thick", bar, 0)
    assert (thin > 0.5).sum(-1).max() == 1 and (thick > 0.5).sum(-1).max() == 5  # 3 px -> 1 px / 5 px wide
    assert torch.allclose(centre_of_mass(thin), centre_of_mass(bar)) and torch.allclose(
        centre_of_mass(thick), centre_of_mass(bar)
    )


def test_small_large_and_off_centre() -> None:
    bar = bar_digits()
    height = lambda pixels: ink_box(pixels[0])[2]  # noqa: E731
    assert height(make_variant("small", bar, 0)) < 10 < 17 < height(make_variant("large", bar, 0))
    moved = (centre_of_mass(make_variant("off_centre", bar, 0)) - centre_of_mass(bar)).norm(dim=1)
    assert torch.allclose(moved, torch.full((6,), 5.0), atol=0.3)


def test_rotation_turns_each_digit_by_15_to_25_degrees() -> None:
    out = make_variant("rotated", bar_digits(40), 0)[:, 0]
    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    angles = []
    for image in out:  # the bar's principal axis from its second moments
        w = image / image.sum()
        r, c = rows - (w * rows).sum(), cols - (w * cols).sum()
        cov = torch.tensor([[(w * r * r).sum(), (w * r * c).sum()], [(w * r * c).sum(), (w * c * c).sum()]])
        axis = torch.linalg.eigh(cov).eigenvectors[:, 1]
        angles.append(torch.rad2deg(torch.atan2(axis[1], axis[0])).item())
    tilt = torch.tensor([min(abs(a), 180 - abs(a)) for a in angles])
    assert tilt.min() > 13 and tilt.max() < 27
    signs = torch.tensor(angles) * torch.tensor([1 if abs(a) < 90 else -1 for a in angles])
    assert (signs > 0).any() and (signs < 0).any()  # both ways


def test_blur_spreads_ink_and_keeps_its_total() -> None:
    bar = bar_digits(1)
    out = make_variant("blurred", bar, 0)
    assert (out > 0.01).sum() > (bar > 0).sum() and torch.isclose(out.sum(), bar.sum(), rtol=0.02)


def test_speckle_flips_about_its_share_of_pixels() -> None:
    out = make_variant("speckled", torch.full((50, 1, 28, 28), 0.5), 0)
    changed = (out != 0.5).float().mean().item()
    assert abs(changed - SPECKLE) < 0.01 and set(out.unique().tolist()) == {0.0, 0.5, 1.0}


def test_broken_opens_small_gaps_in_the_ink_only() -> None:
    bar = bar_digits()
    out = make_variant("broken", bar, 0)
    removed = (bar - out).sum((1, 2, 3))
    assert (removed > 0).all() and (removed <= GAPS * GAP_SIDE**2).all()
    assert torch.equal(out[bar == 0], bar[bar == 0])  # no ink added anywhere
