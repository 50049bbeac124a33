"""The TRAINING family of non-digit pictures, for outlier exposure: the model learns to answer "not a digit"
(a uniform prediction) on these.

It is kept apart from the EVALUATION family (digits/evaluation/ood/nondigits.py, what the `ood` stage
measures), so that the measure stays out of distribution; the two share only the drawing primitives of
digits/data/drawing.py and the letters that do not look like digits:

- letters: the letters of LETTERS and the SYMBOLS in TRAIN_FONTS, Pillow's own fonts (Aileron, scalable,
  in three weights by stroking, and the bitmap default font blown up), against matplotlib's DejaVu, STIX
  and Computer Modern fonts for evaluation;
- strokes: 3-5 random cubic Bezier curves, elliptic arcs and zigzags, against the evaluation's scribbles
  (a random walk of the pen with momentum);
- shapes: polygons, ellipses, blobs and garment-like silhouettes (shapes.py); none in evaluation;
- photos: crops of TRAIN_PHOTOS, scikit-image's astronaut, coffee, chelsea (the same photo as `cat`),
  rocket, immunohistochemistry, retina and cell, and scikit-learn's china.jpg and flower.jpg, against
  scikit-image's camera, coins, moon, clock, text, page, grass and gravel;
- smooth_noise: low-frequency clouds and blobs, against the evaluation's pixel noise (and its smudges and
  two digits side by side, which have no training counterpart).

Pictures are (H, W) uint8, 56-96 px a side, dark ink on light paper, and become model inputs through
`mnistify`, the user's picture path; a picture it refuses is replaced by another draw of its kind.
"""

import importlib.util
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import skimage.data
import torch
from PIL import Image, ImageFont

from digits.data import drawing
from digits.data.drawing import LETTERS
from digits.data.imageprep import mnistify
from digits.data.pictures import BadImageError
from digits.training import shapes

TRAIN_KINDS = ("letters", "strokes", "shapes", "photos", "smooth_noise")
TRAIN_FONTS = ("Aileron (Pillow's ImageFont.load_default(size))", "Pillow's bitmap font (load_default_imagefont)")
SYMBOLS = "#%*+=<>~^"  # not / \\ | ( ) [ ] ! $ & @ ? , . - _ : ;: a 1, a 5, an 8, a 0 (a bold @), a 2 or a dot
# not hubble_deep_field: its crops are black sky with a few specks, most of them faint or empty in the 20-px box
TRAIN_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "retina", "cell")
SIDES = (56, 97)  # picture sides in px, drawn from [56, 97)
GLYPH_PX = 40  # Aileron is drawn at this size, then scaled to the picture
MAX_TRIES = 20  # draws per picture before giving up on a kind that the picture path keeps refusing


@lru_cache(maxsize=1)
def photos() -> list[np.ndarray]:
    """TRAIN_PHOTOS and scikit-learn's china.jpg and flower.jpg (both ship with the libraries) -> (H, W) uint8."""
    colour = [getattr(skimage.data, name)() for name in TRAIN_PHOTOS] + sklearn_sample_images()
    return [np.asarray(Image.fromarray(image[..., :3]).convert("L")) if image.ndim == 3 else image for image in colour]


def sklearn_sample_images() -> list[np.ndarray]:
    """The pictures of sklearn.datasets.load_sample_images (china.jpg, flower.jpg), read from scikit-learn's folder
    as it reads them, without importing it: that takes about 1 s, a fifth of `train`'s start on small data."""
    spec = importlib.util.find_spec("sklearn")  # finds the package, imports nothing
    assert spec is not None and spec.submodule_search_locations, "scikit-learn is a dependency of this project"
    folder = Path(spec.submodule_search_locations[0]) / "datasets" / "images"
    images = []
    for path in sorted(folder.glob("*.jpg")):
        with Image.open(path) as image:
            images.append(np.asarray(image))
    return images


@lru_cache(maxsize=2)
def font(bitmap: bool) -> drawing.Font:
    return ImageFont.load_default_imagefont() if bitmap else ImageFont.load_default(size=GLYPH_PX)


def letter(rng: np.random.Generator, side: int) -> np.ndarray:
    chars = LETTERS + SYMBOLS
    bitmap = rng.random() < 0.3
    text = chars[int(rng.integers(len(chars)))]
    mask = drawing.glyphs(text, font(bitmap), bold=0 if bitmap else int(rng.integers(0, 3)))  # 3 px fills an e: a 0
    if bitmap:  # 11 px high: blown up to square pixels first, as a dot-matrix printer or a screen shows it
        mask = np.kron(mask, np.ones((4, 4), np.float32))
    mask = drawing.place(mask, side, rng.uniform(0.45, 0.7) * side, rng)
    return drawing.restroke(drawing.handwrite(mask, rng, shear=0.4, degrees=15, wobble=0.025), int(rng.integers(-1, 2)))


def bezier(rng: np.random.Generator) -> np.ndarray:
    """A cubic Bezier curve of 4 random control points -> (24, 2) points in unit coordinates."""
    t = np.linspace(0, 1, 24)[:, None]
    p0, p1, p2, p3 = rng.uniform(0.1, 0.9, (4, 2))
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


def arc(rng: np.random.Generator) -> np.ndarray:
    """90-270 degrees of an ellipse -> (24, 2) points."""
    start, sweep = rng.uniform(0, 2 * np.pi), np.deg2rad(rng.uniform(90, 270))
    turn = start + np.linspace(0, sweep, 24)
    return rng.uniform(0.35, 0.65, 2) + rng.uniform(0.1, 0.35, 2) * np.stack([np.cos(turn), np.sin(turn)], 1)


def zigzag(rng: np.random.Generator) -> np.ndarray:
    """4-7 straight segments (fewer make a Z, a 2 or a 7), alternately to either side of a line across the
    sheet -> (5-8, 2) points."""
    corners = int(rng.integers(5, 9))
    along = np.linspace(0.1, 0.9, corners)
    across = 0.5 + rng.uniform(0.1, 0.3) * np.where(np.arange(corners) % 2, 1, -1) + rng.normal(0, 0.03, corners)
    points = np.stack([along, across], 1) - 0.5
    angle = rng.uniform(0, np.pi)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return 0.5 + points @ turn.T


def strokes(rng: np.random.Generator, side: int) -> np.ndarray:
    """3-5 curves, arcs or zigzags crossing each other (one or two alone may draw a digit)."""
    lines = [(bezier, arc, zigzag)[int(rng.integers(3))](rng) * side for _ in range(int(rng.integers(3, 6)))]
    return drawing.pen((side, side), lines, int(rng.integers(2, max(3, side // 14))))


def smooth_noise(rng: np.random.Generator, side: int) -> np.ndarray:
    """Low-frequency noise (a 3x3 to 8x8 grid, bicubic), as soft clouds or cut into blobs at a level; redrawn (up
    to 10 times) unless 20-80% of the sheet is inked, since a lone island is often a bar, a bold 1."""
    for _ in range(10):
        field = drawing.smooth_field((side, side), int(rng.integers(3, 9)), rng)
        mask = np.clip(rng.uniform(-0.5, 0.8) + field * rng.uniform(0.3, 3.0), 0, 1)
        if 0.2 <= np.mean(mask > 0.5) <= 0.8:
            break
    return mask


MASKS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "letters": letter,
    "strokes": strokes,
    "shapes": shapes.shape,
    "smooth_noise": smooth_noise,
}


def outlier_picture(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One picture of a training kind: (H, W) uint8, dark on light (a photo as it is)."""
    side = int(rng.integers(*SIDES))
    if kind == "photos":
        return drawing.lively_crop(photos(), side, rng)
    return drawing.on_paper(MASKS[kind](rng, side), rng)


def outlier_kind_pixels(kind: str, count: int, seed: int) -> tuple[np.ndarray, int]:
    """`count` pictures of one training kind as the model sees them, (count, 28, 28) uint8 white on black, and
    how many draws the picture path refused (each replaced by another draw)."""
    rng = drawing.generator(seed, "training", kind)
    pixels, refused = np.zeros((count, 28, 28), np.uint8), 0
    for i in range(count):
        for _ in range(MAX_TRIES):
            try:
                pixels[i] = mnistify(outlier_picture(kind, rng).astype(np.float32))
                break
            except BadImageError:
                refused += 1
        else:
            raise RuntimeError(f"the picture path refused {MAX_TRIES} {kind} pictures in a row")
    return pixels, refused


def outlier_pixels(count: int, seed: int) -> torch.Tensor:
    """(count, 28, 28) uint8 training outliers, white on black: an equal share of each of TRAIN_KINDS (the first
    kinds one more where `count` does not divide), shuffled; the same for a seed."""
    shares = [count // len(TRAIN_KINDS) + (k < count % len(TRAIN_KINDS)) for k in range(len(TRAIN_KINDS))]
    parts = [outlier_kind_pixels(kind, n, seed)[0] for kind, n in zip(TRAIN_KINDS, shares, strict=True)]
    pixels = np.concatenate(parts)
    order = drawing.generator(seed, "training", "order").permutation(count)
    return torch.from_numpy(pixels[order])
