"""Marks on paper for the evaluation family of non-digits (digits/evaluation/ood/nondigits.py): scribbles,
pixel noise and smudges. Each function draws one (H, W) uint8 picture, dark on light, from `rng`."""

import numpy as np
from PIL import Image

from digits.data import drawing

SIDES = (64, 113)  # picture sides in px, drawn from [64, 113)
MIN_TURNING = 6 * np.pi  # radians: three full turns in all, so that a scribble is a tangle


def side_of(rng: np.random.Generator) -> int:
    return int(rng.integers(*SIDES))


def walk(side: int, rng: np.random.Generator) -> np.ndarray:
    """One stroke of a scribbling pen -> (n, 2) (x, y) points in px: steps of fixed length whose heading turns
    by a random walk with momentum (the turn rate keeps 0.75 of itself each step); the sheet's edge reflects it."""
    steps = int(rng.integers(30, 70))
    length = side * rng.uniform(0.035, 0.06)  # px per step
    turns = np.zeros(steps)
    kicks = rng.normal(0.0, rng.uniform(0.25, 0.5), steps)  # radians per step
    for i in range(1, steps):
        turns[i] = 0.75 * turns[i - 1] + kicks[i]
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(turns)
    moves = length * np.stack([np.cos(heading), np.sin(heading)], 1)
    points = rng.uniform(0.3, 0.7, 2) * side + np.concatenate([[[0.0, 0.0]], np.cumsum(moves, 0)])
    low, high = 0.1 * side, 0.9 * side  # reflect at a margin: fold the path back inside [low, high]
    period = 2 * (high - low)
    folded = np.mod(points - low, period)
    return low + np.where(folded > high - low, period - folded, folded)


def turning(points: np.ndarray) -> float:
    """The total angle in radians an (n, 2) path turns through, either way."""
    steps = np.diff(points, axis=0)
    heading = np.arctan2(steps[:, 1], steps[:, 0])
    return float(np.abs(np.angle(np.exp(1j * np.diff(heading)))).sum())


def scribble(rng: np.random.Generator) -> np.ndarray:
    """1-3 random walks, redrawn (up to 10 times) until they turn through MIN_TURNING: the simplest walks,
    a tenth of them, are a hook, a loop or an S, which pass for a 7, a 0, a 6 or a 5."""
    side = side_of(rng)
    for _ in range(10):
        strokes = [walk(side, rng) for _ in range(int(rng.integers(1, 4)))]
        if sum(map(turning, strokes)) >= MIN_TURNING:
            break
    width = int(rng.integers(2, max(3, side // 18)))
    return drawing.on_paper(drawing.pen((side, side), strokes, width), rng)


def region(side: int, rng: np.random.Generator) -> np.ndarray:
    """(side, side) bool: the whole sheet, or a random ellipse or rectangle covering part of it."""
    rows, cols = np.mgrid[0:side, 0:side] / side
    (cy, cx), (ry, rx) = rng.uniform(0.3, 0.7, 2), rng.uniform(0.15, 0.4, 2)
    shape = rng.integers(3)
    if shape == 0:
        return np.ones((side, side), dtype=bool)
    if shape == 1:
        return ((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2 <= 1
    return (np.abs(rows - cy) <= ry) & (np.abs(cols - cx) <= rx)


def noise(rng: np.random.Generator) -> np.ndarray:
    """Pixel noise, independent per cell of a coarse sensor (12-40 cells a side, so that it outlives MNIST's
    20-px box): Gaussian, salt-and-pepper or uniform, over the sheet or a patch of it."""
    side, cells = side_of(rng), int(rng.integers(12, 41))
    paper = drawing.on_paper(np.zeros((cells, cells), np.float32), rng).astype(np.float32)
    kind = rng.integers(3)
    if kind == 0:
        noisy = paper + rng.normal(0, rng.uniform(40, 90), paper.shape)
    elif kind == 1:
        noisy = np.where(rng.random(paper.shape) < rng.uniform(0.1, 0.4), rng.uniform(0, 80), paper)
    else:
        noisy = rng.uniform(0, 255, paper.shape)
    picture = np.clip(np.rint(np.where(region(cells, rng), noisy, paper)), 0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(picture).resize((side, side), Image.Resampling.NEAREST))


def blob(side: int, rng: np.random.Generator) -> np.ndarray:
    """A soft smear: 3-6 Gaussian spots in a cluster, mottled by smooth noise -> (side, side) mask 0..1."""
    rows, cols = np.mgrid[0:side, 0:side].astype(np.float32)
    centre = rng.uniform(0.35, 0.65, 2) * side
    mask = np.zeros((side, side), np.float32)
    for _ in range(int(rng.integers(3, 7))):
        (y, x), sigma = centre + rng.normal(0, 0.1 * side, 2), rng.uniform(0.04, 0.1) * side
        mask += np.exp(-((rows - y) ** 2 + (cols - x) ** 2) / (2 * sigma**2))
    mask *= 0.7 + 0.3 * drawing.smooth_field((side, side), 6, rng)
    return mask / mask.max()


def thumbprint(side: int, rng: np.random.Generator) -> np.ndarray:
    """Ridges 3-5 px apart, arcs about a point far off, inside a soft ellipse -> (side, side) mask 0..1."""
    rows, cols = np.mgrid[0:side, 0:side].astype(np.float32) / side
    (cy, cx), (ry, rx) = rng.uniform(0.4, 0.6, 2), rng.uniform(0.15, 0.25, 2)
    angle = rng.uniform(0, 2 * np.pi)
    fy, fx = cy + 1.5 * np.sin(angle), cx + 1.5 * np.cos(angle)  # the arcs' centre, off the sheet
    ridges = 0.5 + 0.5 * np.sin(2 * np.pi * np.hypot(rows - fy, cols - fx) * side / rng.uniform(3, 5))
    inside = np.clip(1.5 - 1.5 * (((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2), 0, 1)
    return (ridges * inside).astype(np.float32)


def eraser(side: int, rng: np.random.Generator) -> np.ndarray:
    """A grey band with soft edges, streaked along its length, at most 35 degrees off horizontal -> mask 0..1."""
    rows, cols = np.mgrid[0:side, 0:side].astype(np.float32) / side - 0.5
    angle = np.deg2rad(rng.uniform(-35, 35))
    along, across = cols * np.cos(angle) + rows * np.sin(angle), rows * np.cos(angle) - cols * np.sin(angle)
    length, width = rng.uniform(0.25, 0.4), rng.uniform(0.08, 0.18)  # half sides, of the sheet's side
    band = np.clip((length - np.abs(along)) * 20, 0, 1) * np.clip((width - np.abs(across)) * 20, 0, 1)
    streaks = 0.8 + 0.2 * np.interp(across, np.linspace(-0.5, 0.5, 24), rng.standard_normal(24))  # rubbed unevenly
    return (band * streaks).astype(np.float32)


def smudge(rng: np.random.Generator) -> np.ndarray:
    """One smudge on blank paper, 0.45-0.9 of full ink at its darkest."""
    side = side_of(rng)
    mark = (blob, thumbprint, eraser)[int(rng.integers(3))](side, rng)
    return drawing.on_paper(mark * rng.uniform(0.45, 0.9), rng)
