"""Turn any picture of a digit into an MNIST-style model input, the way MNIST itself was made.

Grayscale; invert a light background so the ink is bright; crop to the ink's bounding box;
scale it to fit 20x20 keeping its aspect ratio; paste it into 28x28 with its centre of mass at
the centre; normalize as the model was trained. Pixel values are 0..255 floats until the end.
Decoding the file, and refusing what is not a picture, is digits/data/pictures.py's job.
"""

import numpy as np
import torch
from PIL import Image

from digits.data.idx import IMAGE_SIDE
from digits.data.pictures import BadImageError, ImageSource, open_gray
from digits.data.splits import Normalization, normalize

BOX = 20  # MNIST fits each digit in a 20x20 box ...
CENTRE = 14.0  # ... and puts its centre of mass here (row and column; measured: 13.99 +- 0.29)
MIN_CONTRAST = 32.0  # levels of 255 between ink and background below which an image counts as blank
# Ink at least this thick for its length is a dot (a click on the page), not a digit. Measured on the
# 20-px box: MNIST's 70,000 digits are at most 0.8 as thick as long (3 of them), UCI's at most 0.6; a dot is 1.0.
DOT = 0.9


def ink_signal(gray: np.ndarray) -> np.ndarray:
    """(H, W) 0..255 -> (H, W) ink strength 0..255 above the background, which is 0.

    The background level is the median of the border pixels; a light one (paper) means dark ink, so
    the image is inverted.
    """
    ring = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(ring))
    signal = background - gray if background > 127.5 else gray - background
    return np.clip(signal, 0, None).astype(np.float32)


def histogram_256(values: np.ndarray, peak: float) -> tuple[np.ndarray, np.ndarray]:
    """np.histogram(values, bins=256, range=(0.0, peak)) for values in [0, peak]: numpy's own arithmetic for
    equal bins (the same types, the same corrections at the edges) without its checks and blocks, 1.4-1.5x
    faster on a digit's ink (tests/unit/test_imageprep.py checks that the two agree)."""
    edges = np.linspace(0.0, peak, 257, endpoint=True, dtype=np.result_type(0.0, peak, values))
    data = values.astype(edges.dtype, copy=False)
    span = np.subtract(peak, 0.0, dtype=np.result_type(peak, 0.0))
    indices = ((np.subtract(data, 0.0, dtype=np.result_type(data, 0.0)) / span) * 256).astype(np.intp)
    indices[indices == 256] -= 1
    indices[data < edges[indices]] -= 1
    indices[(data >= edges[indices + 1]) & (indices != 255)] += 1
    return np.bincount(indices, minlength=256), edges


def otsu_threshold(values: np.ndarray) -> float:
    """The level splitting `values` (>= 0) into two classes of least within-class variance (Otsu)."""
    peak = float(values.max())
    if peak >= MIN_CONTRAST:  # the zeros (most of a digit's picture) all fall in bin 0: counted, not binned
        ink = values[values > 0]
        hist, edges = histogram_256(ink, peak)
        hist[0] += values.size - ink.size
    else:
        hist, edges = np.histogram(values, bins=256, range=(0.0, peak))
    p = hist / hist.sum()
    below = np.cumsum(p)[:-1]  # weight of class 0 for each cut after bin k
    mass = np.cumsum(p * (edges[:-1] + edges[1:]) / 2)
    total = mass[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total * below - mass[:-1]) ** 2 / (below * (1 - below))
    return float(edges[np.nanargmax(between) + 1])


def noise_floor(signal: np.ndarray, mask: np.ndarray) -> float:
    """The 90th percentile of the pixels outside `mask` (signal >= 0; zeros are never in the mask): 0 when
    zeros fill both places np.percentile would interpolate between, as on clean pictures, without sorting."""
    outside = signal.size - int(np.count_nonzero(mask))
    zeros = signal.size - int(np.count_nonzero(signal))
    if 0.9 * (outside - 1) + 1 < zeros:  # the sorted values at floor and ceil of the 90% index are zeros
        return 0.0
    return float(np.percentile(signal[~mask], 90))


def crop_to_ink(signal: np.ndarray) -> np.ndarray:
    """Crop to the ink's bounding box and stretch the ink to 0..255; background noise is zeroed.

    Ink is what exceeds Otsu's threshold (at least a fifth of the peak), so JPEG ringing, paper
    texture and faint specks neither widen the box nor dim the digit. The noise floor is the 90th
    percentile of the other pixels (0 on clean images, so the strokes' soft edges are kept).
    """
    peak = float(signal.max())
    if peak < MIN_CONTRAST:
        raise BadImageError(f"no ink found: the image is blank (contrast {peak:.0f} of 255)")
    threshold = max(otsu_threshold(signal), 0.2 * peak)
    mask = signal > threshold
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    crop = signal[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    floor = min(noise_floor(signal, mask), threshold / 2)
    top = float(np.percentile(signal[mask], 99))  # the stroke core maps to 255
    return np.clip((crop - floor) / max(top - floor, 1e-6), 0, 1) * np.float32(255)


def fit_box(crop: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scale (h, w) so the longer side is `box` pixels, keeping the aspect ratio (antialiased)."""
    height, width = crop.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL wants (width, height)
    resized = Image.fromarray(crop.astype(np.float32)).resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0, 255)  # Lanczos overshoots a little


def thickness(ink: np.ndarray) -> int:
    """(h, w) bool -> the width in pixels of its thickest part: twice the 4-neighbour erosions that empty it."""
    steps = 0
    while ink.any():
        eroded = ink.copy()  # each pixel and its 4 neighbours, outside the picture counting as no ink
        eroded[1:] &= ink[:-1]
        eroded[:-1] &= ink[1:]
        eroded[:, 1:] &= ink[:, :-1]
        eroded[:, :-1] &= ink[:, 1:]
        eroded[[0, -1]] = False
        eroded[:, [0, -1]] = False
        ink, steps = eroded, steps + 1
    return 2 * steps


def refuse_a_dot(patch: np.ndarray) -> None:
    """`patch`: fit_box's output, ink 0..255; a dot is refused rather than read as some digit."""
    if thickness(patch > 127.5) >= DOT * max(patch.shape):  # 127.5: half of the stroke core's 255
        raise BadImageError("too little ink: draw a digit, not a dot")


def centre_of_mass(pixels: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted mean pixel position, in pixel-index units."""
    total = float(pixels.sum())
    rows, cols = np.indices(pixels.shape)
    return float((rows * pixels).sum()) / total, float((cols * pixels).sum()) / total


def paste_centred(patch: np.ndarray, side: int = IMAGE_SIDE) -> np.ndarray:
    """Place `patch` in a (side, side) black canvas by a whole-pixel shift putting its centre of mass
    at CENTRE (within half a pixel); a lopsided digit that would stick out is clipped."""
    com_row, com_col = centre_of_mass(patch)
    top, left = int(np.floor(CENTRE - com_row + 0.5)), int(np.floor(CENTRE - com_col + 0.5))
    canvas = np.zeros((side, side), dtype=np.float32)
    r0, c0 = max(0, -top), max(0, -left)  # the part of the patch that lands inside the canvas
    r1, c1 = min(patch.shape[0], side - top), min(patch.shape[1], side - left)
    canvas[top + r0 : top + r1, left + c0 : left + c1] = patch[r0:r1, c0:c1]
    return canvas


def mnistify(gray: np.ndarray) -> np.ndarray:
    """(H, W) luminance 0..255 -> (28, 28) uint8, white digit on black as in MNIST."""
    patch = fit_box(crop_to_ink(ink_signal(gray)))
    refuse_a_dot(patch)
    return np.rint(paste_centred(patch)).astype(np.uint8)


def to_model_input(pixels: np.ndarray, norm: Normalization) -> torch.Tensor:
    """(28, 28) uint8 -> (1, 28, 28) float32, normalized exactly as the training images were."""
    return normalize(pixels[None], norm)[0]


def model_view(source: ImageSource, max_pixels: int | None = None) -> np.ndarray:
    """An image file or its bytes -> (28, 28) uint8, the digit as the model sees it (before normalizing)."""
    return mnistify(open_gray(source, max_pixels))


def prepare_image(source: ImageSource, norm: Normalization) -> torch.Tensor:
    """An image file or its bytes -> (1, 28, 28) model input; BadImageError says what is wrong with it."""
    return to_model_input(model_view(source), norm)
