"""The training family of non-digits (outlier exposure): MNIST-like pixels, the same for a seed, an exact count,
and kept apart from the evaluation family in its fonts, photos and pen rule."""

import numpy as np
import pytest
import torch

from digits.data import drawing
from digits.evaluation.ood import marks, nondigits
from digits.training import outliers, shapes
from digits.training.outliers import TRAIN_KINDS, outlier_kind_pixels, outlier_picture, outlier_pixels


def test_outliers_are_mnist_like_and_the_same_for_a_seed() -> None:
    pixels = outlier_pixels(23, seed=5)
    assert pixels.dtype == torch.uint8 and pixels.shape == (23, 28, 28)
    assert (pixels.flatten(1).amax(1) > 128).all()  # each has ink
    assert torch.equal(pixels, outlier_pixels(23, seed=5))
    assert not torch.equal(pixels, outlier_pixels(23, seed=6))


@pytest.mark.parametrize("kind", TRAIN_KINDS)
def test_each_kind_fills_its_count_whatever_is_refused(kind: str) -> None:
    pixels, refused = outlier_kind_pixels(kind, 6, seed=0)
    assert pixels.shape == (6, 28, 28) and pixels.dtype == np.uint8 and refused >= 0
    assert (pixels.reshape(6, -1).max(1) > 128).all()
    assert np.array_equal(pixels, outlier_kind_pixels(kind, 6, seed=0)[0])


@pytest.mark.parametrize("kind", TRAIN_KINDS)
def test_pictures_are_small_and_dark_on_light(kind: str) -> None:
    rng = drawing.generator(0, "test", kind)
    for _ in range(5):
        gray = outlier_picture(kind, rng)
        assert gray.dtype == np.uint8 and gray.shape[0] == gray.shape[1] and 56 <= gray.shape[0] <= 96
        ring = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        assert kind in ("photos", "smooth_noise") or np.median(ring) > 127  # clouds may cover the sheet


def test_the_shares_are_equal() -> None:
    """Each kind's pictures, drawn alone, are the batch's pictures: 2 of each kind in 10, in some order."""
    pixels = outlier_pixels(10, seed=2).numpy()
    alone = np.concatenate([outlier_kind_pixels(kind, 2, seed=2)[0] for kind in TRAIN_KINDS])
    assert sorted(map(bytes, pixels)) == sorted(map(bytes, alone))


def test_the_families_are_disjoint() -> None:
    """Fonts, photos and pen rules of training and evaluation apart; only the non-twin letters are shared."""
    assert all("Aileron" in f or "bitmap" in f for f in outliers.TRAIN_FONTS)
    assert not any(name.startswith(("DejaVu", "STIX", "cm")) for name in outliers.TRAIN_FONTS)
    assert not set(outliers.TRAIN_PHOTOS) & set(nondigits.EVAL_PHOTOS)
    assert not set(outliers.TRAIN_KINDS) & {"scribbles", "noise", "smudge", "two_digits", "letter_twins"}
    assert outliers.strokes is not marks.scribble
    assert not set(outliers.LETTERS + outliers.SYMBOLS) & set(nondigits.TWIN_LETTERS + "0123456789")


def test_only_garments_are_drawn_as_outlines() -> None:
    """An outlined ellipse or polygon is a 0: the outline style is kept for garments."""
    rng = np.random.default_rng(0)
    solid = np.pad(np.ones((20, 20), np.float32), 10)
    looks = {float(shapes.texture(solid, rng, outlined=False)[20, 20]) for _ in range(40)}
    assert 0.0 not in looks  # the middle of a filled shape is never left empty


def test_sklearn_photos_are_those_load_sample_images_gives() -> None:
    from sklearn.datasets import load_sample_images

    expected = load_sample_images().images
    found = outliers.sklearn_sample_images()
    assert len(found) == len(expected) == 2
    assert all(a.dtype == np.uint8 and np.array_equal(a, b) for a, b in zip(found, expected, strict=True))
