"""Primitives for drawing pictures as a user would scan or draw them: dark ink on light paper.

Pure functions on numpy arrays and Pillow images; every random number comes from the
`numpy.random.Generator` passed in. Masks are (H, W) float32 ink coverage 0..1 (1: full ink);
pictures are (H, W) uint8 luminance 0..255 (paper light, ink dark), what digits/data/imageprep.py reads.
"""

import string
import zlib
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
# Letters read as a digit once fitted in MNIST's box: O o/0, I l i/1 (a stem; i's dot is faint at 20 px),
# S s/5, Z z/2, B/8, b G/6, g q/9. Neither family of non-digits trains on them; the ood stage reports them apart.
TWIN_LETTERS = "BGIOSZbgiloqsz"
LETTERS = "".join(c for c in string.ascii_letters if c not in TWIN_LETTERS)
CONTROL = 4  # the elastic wobble: a CONTROL x CONTROL grid of random offsets per axis, interpolated bicubically


def generator(seed: int, *words: str) -> np.random.Generator:
    """A generator of its own for (seed, words): the same numbers every run, unrelated to other words'."""
    return np.random.default_rng([seed, *(zlib.crc32(word.encode()) for word in words)])


@lru_cache(maxsize=64)
def truetype(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A font file at `size` pixels (loaded once per process)."""
    return ImageFont.truetype(path, size)


def glyphs(text: str, font: Font, bold: int = 0) -> np.ndarray:
    """`text` drawn by `font` -> (h, w) mask cropped to its ink; `bold` widens the strokes by that many px."""
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font, stroke_width=bold)
    image = Image.new("L", (right - left + 2, bottom - top + 2), 0)
    ImageDraw.Draw(image).text((1 - left, 1 - top), text, 255, font, stroke_width=bold, stroke_fill=255)
    mask = np.asarray(image, dtype=np.float32) / 255
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def place(mask: np.ndarray, side: int, height: float, rng: np.random.Generator) -> np.ndarray:
    """(h, w) mask scaled to `height` px (width at most 0.8 side) into (side, side), off its centre by up to a
    quarter of the room left on each axis (so that a slant or a wobble keeps it on the sheet)."""
    scale = min(height / mask.shape[0], 0.8 * side / mask.shape[1])
    size = (max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale)))  # (width, height)
    scaled = np.asarray(Image.fromarray(mask).resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
    room = np.maximum(side - np.array(size[::-1]), 0)  # (rows, cols) of paper around it
    top, left = (room / 2 + rng.uniform(-0.25, 0.25, 2) * room).astype(int)
    canvas = np.zeros((side, side), dtype=np.float32)
    part = scaled[: side - top, : side - left]
    canvas[top : top + part.shape[0], left : left + part.shape[1]] = part
    return canvas


def smooth_field(shape: tuple[int, int], grid: int, rng: np.random.Generator) -> np.ndarray:
    """(H, W) float32 smooth noise: a (grid, grid) standard normal draw interpolated bicubically."""
    coarse = Image.fromarray(rng.standard_normal((grid, grid)).astype(np.float32))
    return np.asarray(coarse.resize((shape[1], shape[0]), Image.Resampling.BICUBIC), dtype=np.float32)


def sample(mask: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear samples of `mask` at fractional (rows, cols) (each (H, W) float32); 0 outside the mask."""
    padded = np.pad(mask, 1).ravel()  # a ring of zeros, so points just outside fade to no ink
    stride = mask.shape[1] + 2
    r = np.clip(rows + 1, 0, mask.shape[0] + 0.999, dtype=np.float32)
    c = np.clip(cols + 1, 0, mask.shape[1] + 0.999, dtype=np.float32)
    fr, fc = r - np.floor(r), c - np.floor(c)  # float32 fractions
    at = r.astype(np.intp) * stride + c.astype(np.intp)  # flat index of the upper-left neighbour
    top = padded[at] + (padded[at + 1] - padded[at]) * fc
    bottom = padded[at + stride] + (padded[at + stride + 1] - padded[at + stride]) * fc
    return top + (bottom - top) * fr


def handwrite(
    mask: np.ndarray, rng: np.random.Generator, shear: float = 0.3, degrees: float = 10.0, wobble: float = 0.03
) -> np.ndarray:
    """Distort a (H, W) mask like handwriting: a slant of up to `shear` (x shift per row), a rotation of up to
    `degrees`, and a smooth elastic wobble of `wobble` x side pixels (standard deviation), about the centre."""
    height, width = mask.shape
    angle = np.deg2rad(rng.uniform(-degrees, degrees))
    slant = rng.uniform(-shear, shear)
    y = np.arange(height, dtype=np.float32)[:, None] - (height - 1) / 2  # (H, 1) px from the centre
    x = np.arange(width, dtype=np.float32)[None, :] - (width - 1) / 2  # (1, W)
    cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    src_y, src_x = cos * y - sin * x, sin * y + cos * x + np.float32(slant) * y  # output pixel -> source pixel, (H, W)
    spread = np.float32(wobble * max(height, width))
    src_y += spread * smooth_field(mask.shape, CONTROL, rng)
    src_x += spread * smooth_field(mask.shape, CONTROL, rng)
    return sample(mask, src_y + (height - 1) / 2, src_x + (width - 1) / 2)


def restroke(mask: np.ndarray, steps: int) -> np.ndarray:
    """Strokes thicker (steps > 0: grey dilation) or thinner (steps < 0: erosion) by `steps` 3x3 passes."""
    image = Image.fromarray(mask)
    for _ in range(abs(steps)):
        image = image.filter(ImageFilter.MaxFilter(3) if steps > 0 else ImageFilter.MinFilter(3))
    return np.asarray(image, dtype=np.float32)


def pen(shape: tuple[int, int], strokes: list[np.ndarray], width: int) -> np.ndarray:
    """Pen strokes -> (H, W) mask: each stroke an (n, 2) array of (x, y) points in px, drawn `width` px wide
    with round joints and ends."""
    image = Image.new("L", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(image)
    radius = width / 2
    for points in strokes:
        xy = [(float(x), float(y)) for x, y in points]
        draw.line(xy, fill=255, width=width, joint="curve")
        for x, y in (xy[0], xy[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(image, dtype=np.float32) / 255


def on_paper(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink coverage (H, W) 0..1 -> (H, W) uint8 picture: paper of 190..250 with a faint shading and grain,
    ink of 0..80 where the mask is 1, mixed in proportion between."""
    level = rng.uniform(190, 250)
    shading = rng.uniform(0, 8) * smooth_field(mask.shape, 2, rng)  # uneven light across the sheet
    paper = level + shading + rng.uniform(0, 3) * rng.standard_normal(mask.shape, dtype=np.float32)
    ink = rng.uniform(0, 80)
    return np.clip(np.rint(paper + (ink - paper) * mask), 0, 255).astype(np.uint8)


def crop(
    photo: np.ndarray, side: int, rng: np.random.Generator, spans: tuple[float, float] = (0.05, 0.3)
) -> np.ndarray:
    """A random square of a (H, W) uint8 photo, its side `spans` of the photo's shorter one, resized to (side, side)."""
    height, width = photo.shape
    span = max(2, int(rng.uniform(*spans) * min(height, width)))
    top, left = int(rng.integers(0, height - span + 1)), int(rng.integers(0, width - span + 1))
    window = Image.fromarray(photo[top : top + span, left : left + span])
    return np.asarray(window.resize((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0), dtype=np.uint8)


def ink(picture: np.ndarray, contrast: float = 64.0) -> np.ndarray:
    """(H, W) bool: the pixels `contrast` levels or more away from the median of the picture's border (the
    background, as digits/data/imageprep.py finds it)."""
    ring = np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])
    return np.abs(picture.astype(np.float32) - np.median(ring)) >= contrast


def roundness(inked: np.ndarray) -> float:
    """How far (H, W) bool ink spreads across its main direction: the standard deviation of its pixels'
    positions along the minor axis over that along the major one; 0 for a line, 1 for a disc."""
    rows, cols = np.nonzero(inked)
    if len(rows) < 3:
        return 0.0
    minor, major = np.sqrt(np.clip(np.linalg.eigvalsh(np.cov(rows, cols)), 0, None))
    return float(minor / max(major, 1e-6))


def lively_crop(photos: list[np.ndarray], side: int, rng: np.random.Generator, tries: int = 20) -> np.ndarray:
    """A crop of one of `photos` with some contrast (a standard deviation of 20 levels), some background (at most
    0.6 of it ink) and ink that is not one line (a roundness of 0.3): flat sky, a plain wall, the inside of a
    silhouette or a lone edge (a 1) is redrawn, up to `tries` times, from the same photo (so that each photo
    has its share, not only the busy ones)."""
    photo = photos[int(rng.integers(len(photos)))]
    for _ in range(tries):
        window = crop(photo, side, rng)
        inked = ink(window)
        if window.std() >= 20.0 and inked.mean() <= 0.6 and roundness(inked) >= 0.3:
            break
    return window
