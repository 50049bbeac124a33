"""The UCI optical digits as pictures a user would supply, read through digits.data.imageprep."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from digits.data.imageprep import prepare_image
from digits.data.splits import Normalization
from digits.evaluation.ood.uci import INK_LEVELS, UPSCALINGS, as_picture, uci_digits, uci_inputs

NORM = Normalization(0.1307, 0.3081)


def test_the_1797_digits_ship_with_scikit_learn() -> None:
    images, labels = uci_digits()
    assert images.shape == (1797, 8, 8) and images.max() == INK_LEVELS
    assert labels.dtype == torch.int64 and torch.bincount(labels).min() >= 170  # all ten digits


@pytest.mark.parametrize("upscaling", list(UPSCALINGS))
def test_a_digit_becomes_dark_ink_on_white_upscaled(upscaling: str) -> None:
    factor, resample = UPSCALINGS[upscaling]
    ink = uci_digits()[0][0]
    picture = np.asarray(Image.open(io.BytesIO(as_picture(ink, factor, resample))))
    assert picture.shape == (8 * factor, 8 * factor) and picture.dtype == np.uint8
    assert picture[0, 0] == picture[-1, -1] == 255 and picture.min() < 30  # white paper, dark strokes


def test_inputs_are_what_digits_predict_makes_of_the_pictures() -> None:
    images, labels = uci_inputs(NORM, "bicubic_8x")
    assert images.shape == (1797, 1, 28, 28) and images.dtype == torch.float32 and len(labels) == 1797
    factor, resample = UPSCALINGS["bicubic_8x"]
    for i in (0, 500, 1796):
        picture = as_picture(uci_digits()[0][i], factor, resample)
        assert torch.equal(images[i], prepare_image(picture, NORM))
