"""The EVALUATION family of non-digit pictures: what the `ood` stage measures rejection on.

Never trained on. digits/training/outliers.py draws the TRAINING family (outlier exposure) from other
fonts, another pen rule and other photos, so that this measure stays out of distribution:

- letters: LETTERS (A-Z a-z less the twins) in matplotlib's fonts (EVAL_FONTS: DejaVu Sans, Sans Mono and
  Serif in every weight, STIXGeneral in four, Computer Modern cmr10 cmss10 cmtt10 cmb10 cmti10), slanted,
  rotated, wobbled and restroked like handwriting;
- letter_twins: TWIN_LETTERS, the letters shaped like a digit, in the same fonts and distortions;
  reported apart, since they cap any detector;
- scribbles: 1-3 strokes of a pen whose heading turns by a random walk with momentum (marks.py);
- photos: square crops of scikit-image's grayscale photos and scans (EVAL_PHOTOS) with some contrast;
- noise: Gaussian, salt-and-pepper or uniform pixel noise, over the sheet or a patch of it (marks.py);
- two_digits: two MNIST digits side by side in one picture, where one is expected;
- smudge: a soft blob, a thumbprint or an eraser mark on blank paper (marks.py).

Each picture is (H, W) uint8, dark ink on light paper as a user would supply it, and becomes what the
model sees through the user's picture path, `mnistify`; the pictures it refuses are dropped and counted.
"""

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import skimage.data
from PIL import Image

from digits.data import drawing
from digits.data.drawing import LETTERS, TWIN_LETTERS
from digits.data.imageprep import mnistify
from digits.data.pictures import BadImageError
from digits.evaluation.ood import marks

KINDS = ("letters", "letter_twins", "scribbles", "photos", "noise", "two_digits", "smudge")
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
EVAL_FONTS = (  # file names in FONT_DIR; not cmex10, cmsy10, cmmi10 (symbols) nor the Display fonts (no letters)
    *("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"),
    *("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-BoldOblique.ttf"),
    *("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf"),
    *("STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf"),
    *("cmr10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmb10.ttf", "cmti10.ttf"),
)
# Not horse, a binary silhouette whose crops are solid bands and wedges (a leg is a bold 1), nor brick, whose crops
# are mostly one or two lines of mortar (| or T: a 1)
EVAL_PHOTOS = ("camera", "coins", "moon", "clock", "text", "page", "grass", "gravel")
GLYPH_PX = 48  # fonts are drawn at this size, then scaled to the picture
MNIST_SIDE = 28


@lru_cache(maxsize=len(EVAL_PHOTOS))
def photo(name: str) -> np.ndarray:
    """scikit-image's grayscale picture `name` (shipped with it: no download) -> (H, W) uint8."""
    return np.asarray(getattr(skimage.data, name)())


def letter(chars: str, rng: np.random.Generator) -> np.ndarray:
    side = marks.side_of(rng)
    font = drawing.truetype(str(FONT_DIR / EVAL_FONTS[int(rng.integers(len(EVAL_FONTS)))]), GLYPH_PX)
    mask = drawing.place(drawing.glyphs(chars[int(rng.integers(len(chars)))], font), side, 0.6 * side, rng)
    mask = drawing.restroke(drawing.handwrite(mask, rng), int(rng.integers(-1, 3)))
    return drawing.on_paper(mask, rng)


def photo_crop(rng: np.random.Generator) -> np.ndarray:
    return drawing.lively_crop([photo(name) for name in EVAL_PHOTOS], marks.side_of(rng), rng)


def two_digits(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two of `digits` ((N, 28, 28) uint8, white on black as in MNIST's files) side by side, -4..8 px apart and
    up to 4 px out of line, on paper, at 2-3x MNIST's scale."""
    first, second = (digits[int(i)].astype(np.float32) / 255 for i in rng.integers(len(digits), size=2))
    gap, drop = int(rng.integers(-4, 9)), int(rng.integers(-4, 5))
    mask = np.zeros((MNIST_SIDE + 12, 2 * MNIST_SIDE + gap + 8), np.float32)
    mask[6 : 6 + MNIST_SIDE, 4 : 4 + MNIST_SIDE] = first
    right = mask[6 + drop : 6 + drop + MNIST_SIDE, 4 + MNIST_SIDE + gap : 4 + 2 * MNIST_SIDE + gap]
    np.maximum(right, second, out=right)  # where the two overlap, the darker ink wins
    scale = rng.uniform(2, 3)
    size = (round(mask.shape[1] * scale), round(mask.shape[0] * scale))  # (width, height)
    mask = np.asarray(Image.fromarray(mask).resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
    return drawing.on_paper(mask, rng)


DRAWERS: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "letters": lambda rng: letter(LETTERS, rng),
    "letter_twins": lambda rng: letter(TWIN_LETTERS, rng),
    "scribbles": marks.scribble,
    "photos": photo_crop,
    "noise": marks.noise,
    "smudge": marks.smudge,
}


def nondigit_pictures(kind: str, count: int, seed: int, digits: np.ndarray | None = None) -> list[np.ndarray]:
    """`count` pictures of `kind` ((H, W) uint8, dark on light), the same for a seed whatever other kinds are
    drawn. two_digits needs `digits`: (N, 28, 28) uint8 MNIST digits, white on black, as in MNIST's files (the
    test set's, for an evaluation; a float tensor normalized for the model must be turned back first)."""
    rng = drawing.generator(seed, "evaluation", kind)
    if kind == "two_digits":
        pixels = None if digits is None else np.asarray(digits)  # a torch uint8 tensor will do
        if pixels is None or pixels.dtype != np.uint8 or pixels.shape[1:] != (MNIST_SIDE, MNIST_SIDE):
            raise ValueError("two_digits draws from MNIST digits: pass digits, (N, 28, 28) uint8")
        return [two_digits(pixels, rng) for _ in range(count)]
    if kind not in DRAWERS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    return [DRAWERS[kind](rng) for _ in range(count)]


def nondigit_pixels(kind: str, count: int, seed: int, digits: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The pictures of nondigit_pictures as the model sees them: (n, 28, 28) uint8, white on black, n <= count,
    and how many of the `count` the picture path refused (blank, or a dot)."""
    pixels = []
    for gray in nondigit_pictures(kind, count, seed, digits):
        try:
            pixels.append(mnistify(gray.astype(np.float32)))  # float32, as open_gray decodes a user's file
        except BadImageError:
            continue
    stacked = np.stack(pixels) if pixels else np.zeros((0, MNIST_SIDE, MNIST_SIDE), np.uint8)
    return stacked, count - len(pixels)
