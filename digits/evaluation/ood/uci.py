"""The UCI optical digits (scikit-learn ships them: no download) as pictures a user would supply.

Each 8x8 digit (ink 0..16) becomes dark ink on white, upscaled, encoded as PNG, then read by
`digits.data.imageprep` exactly as `digits predict` and `digits serve` read an uploaded file.
"""

import io

import numpy as np
import torch
from PIL import Image

from digits.data.imageprep import prepare_image
from digits.data.splits import Normalization

# How a digit becomes a picture: (factor, resampling). The first is the reported figure; the others
# are reported beside it, so a score that hangs on one upscaling choice shows at once.
UPSCALINGS = {
    "bicubic_8x": (8, Image.Resampling.BICUBIC),  # 64x64
    "bilinear_4x": (4, Image.Resampling.BILINEAR),  # 32x32
}
INK_LEVELS = 16  # load_digits counts ink in 4x4 blocks of the original 32x32 bitmaps: 0..16


def uci_digits() -> tuple[np.ndarray, torch.Tensor]:
    """(1797, 8, 8) float ink 0..16 and (1797,) int64 labels."""
    from sklearn.datasets import load_digits  # here: scikit-learn takes about 1 s to import; only ood_inputs reads them

    digits = load_digits()
    return digits.images, torch.from_numpy(digits.target.astype(np.int64))


def as_picture(ink: np.ndarray, factor: int, resample: Image.Resampling) -> bytes:
    """(8, 8) ink 0..16 -> PNG bytes of a grayscale picture, dark ink on white, `factor` times larger."""
    gray = np.rint(255 - ink * (255 / INK_LEVELS)).astype(np.uint8)
    side = gray.shape[0] * factor
    buffer = io.BytesIO()
    Image.fromarray(gray).resize((side, side), resample).save(buffer, format="PNG")
    return buffer.getvalue()


def uci_inputs(norm: Normalization, upscaling: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Model inputs (1797, 1, 28, 28) and labels (1797,), each digit through imageprep as a PNG."""
    factor, resample = UPSCALINGS[upscaling]
    images, labels = uci_digits()
    return torch.stack([prepare_image(as_picture(ink, factor, resample), norm) for ink in images]), labels
