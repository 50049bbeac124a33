"""The evaluation family of non-digit pictures: dark ink on light paper, read through the user's picture path,
the same for a seed, and letters shaped like digits kept apart from the others."""

import string

import numpy as np
import pytest

from digits.evaluation.ood.nondigits import (
    EVAL_FONTS,
    EVAL_PHOTOS,
    FONT_DIR,
    KINDS,
    LETTERS,
    TWIN_LETTERS,
    nondigit_pictures,
    nondigit_pixels,
    photo,
)

COUNT = 8


def fake_mnist() -> np.ndarray:
    """(2, 28, 28) uint8 white on black: a bar (a 1) and a ring (a 0), standing in for MNIST's test digits."""
    rows, cols = np.mgrid[0:28, 0:28]
    ring = np.abs(np.hypot(rows - 14, (cols - 14) * 1.5) - 8) < 2
    bar = (np.abs(cols - 14) < 2) & (np.abs(rows - 14) < 10)
    return np.stack([bar, ring]).astype(np.uint8) * 255


@pytest.mark.parametrize("kind", KINDS)
def test_pictures_are_dark_ink_on_light_paper(kind: str) -> None:
    for gray in nondigit_pictures(kind, COUNT, seed=0, digits=fake_mnist()):
        assert gray.dtype == np.uint8 and gray.ndim == 2 and min(gray.shape) >= 64
        ring = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        assert kind in ("photos", "noise") or np.median(ring) > 127  # light paper (noise may cover the sheet)


@pytest.mark.parametrize("kind", KINDS)
def test_pixels_are_mnist_like_and_the_same_for_a_seed(kind: str) -> None:
    pixels, refused = nondigit_pixels(kind, COUNT, seed=3, digits=fake_mnist())
    assert pixels.dtype == np.uint8 and pixels.shape == (COUNT - refused, 28, 28)
    assert len(pixels) >= COUNT // 2 and (pixels.reshape(len(pixels), -1).max(1) > 128).all()  # each has ink
    again, refused_again = nondigit_pixels(kind, COUNT, seed=3, digits=fake_mnist())
    assert np.array_equal(pixels, again) and refused == refused_again
    other, _ = nondigit_pixels(kind, COUNT, seed=4, digits=fake_mnist())
    assert not np.array_equal(pixels[:4], other[:4])


@pytest.mark.parametrize("kind", ["letters", "scribbles"])
def test_more_pictures_keep_the_first_ones(kind: str) -> None:
    few, more = nondigit_pictures(kind, 3, seed=1), nondigit_pictures(kind, 6, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(few, more[:3], strict=True))


def test_twin_letters_are_apart_from_the_other_letters() -> None:
    assert not set(TWIN_LETTERS) & set(LETTERS)
    assert set(TWIN_LETTERS) | set(LETTERS) == set(string.ascii_letters)
    assert set("OIlSZBGgq") <= set(TWIN_LETTERS)  # the twins the trust notes name: O/0 I/l/1 S/5 Z/2 B/8 G/6 g/q/9


def test_fonts_and_photos_ship_with_the_libraries() -> None:
    assert all((FONT_DIR / name).is_file() for name in EVAL_FONTS)
    for name in EVAL_PHOTOS:  # loaded from scikit-image's own files, with no download
        image = photo(name)
        assert image.dtype == np.uint8 and image.ndim == 2 and image.std() > 10


def test_two_digits_needs_digits_and_kinds_are_checked() -> None:
    with pytest.raises(ValueError, match="digits"):
        nondigit_pictures("two_digits", 1, seed=0)
    with pytest.raises(ValueError, match="digits"):  # normalized floats, not MNIST's bytes
        nondigit_pictures("two_digits", 1, seed=0, digits=fake_mnist() / 255.0)
    with pytest.raises(ValueError, match="unknown kind"):
        nondigit_pictures("fish", 1, seed=0)
