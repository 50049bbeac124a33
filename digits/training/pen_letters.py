"""Hand-drawn letters and doodles for the training family of non-digits (digits/training/outliers.py): the
skeletons of a single-stroke font drawn with a pen, as people write a capital A in three strokes or draw a
smiley, jittered, slanted and wobbled like handwriting. Skeletons are lists of polylines in unit
coordinates (x, y in 0..1, y down); masks are (side, side) float32 ink coverage 0..1.

Only letters that do not read as a digit: none of TWIN_LETTERS, nor J (a 1 with a hook, or a 7 upside
down), nor D (a 0 once wobbled), nor lowercase a (a 9 or a 2) and y (a 4 or a 9).
"""

import numpy as np

from digits.data import drawing

Skeleton = list[list[tuple[float, float]]]


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 9) -> list[tuple[float, float]]:
    """Points of an elliptic arc from `start` to `end` degrees (0: right, 90: down, as y runs down)."""
    turn = np.deg2rad(np.linspace(start, end, n))
    return [(cx + rx * float(np.cos(t)), cy + ry * float(np.sin(t))) for t in turn]


LETTER_SKELETONS: dict[str, Skeleton] = {
    "A": [[(0.1, 1), (0.5, 0), (0.9, 1)], [(0.28, 0.6), (0.72, 0.6)]],
    "C": [arc(0.55, 0.5, 0.45, 0.5, -50, -310)],
    "E": [[(0.85, 0), (0.15, 0), (0.15, 1), (0.85, 1)], [(0.15, 0.5), (0.7, 0.5)]],
    "F": [[(0.85, 0), (0.15, 0), (0.15, 1)], [(0.15, 0.5), (0.7, 0.5)]],
    "H": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.85, 1)], [(0.15, 0.5), (0.85, 0.5)]],
    "K": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.15, 0.55)], [(0.4, 0.4), (0.85, 1)]],
    "L": [[(0.2, 0), (0.2, 1), (0.85, 1)]],
    "M": [[(0.05, 1), (0.15, 0), (0.5, 0.6), (0.85, 0), (0.95, 1)]],
    "N": [[(0.15, 1), (0.15, 0), (0.85, 1), (0.85, 0)]],
    "P": [[(0.15, 1), (0.15, 0)], [(0.15, 0), *arc(0.5, 0.27, 0.35, 0.27, -90, 90), (0.15, 0.54)]],
    "R": [[(0.15, 1), (0.15, 0)], [(0.15, 0), *arc(0.5, 0.27, 0.35, 0.27, -90, 90), (0.15, 0.54), (0.85, 1)]],
    "T": [[(0.05, 0), (0.95, 0)], [(0.5, 0), (0.5, 1)]],
    "U": [[(0.15, 0), *arc(0.5, 0.65, 0.35, 0.35, 180, 0), (0.85, 0)]],
    "V": [[(0.1, 0), (0.5, 1), (0.9, 0)]],
    "W": [[(0.02, 0), (0.25, 1), (0.5, 0.35), (0.75, 1), (0.98, 0)]],
    "X": [[(0.1, 0), (0.9, 1)], [(0.9, 0), (0.1, 1)]],
    "Y": [[(0.1, 0), (0.5, 0.5), (0.9, 0)], [(0.5, 0.5), (0.5, 1)]],
    "e": [[(0.12, 0.55), (0.88, 0.55), *arc(0.5, 0.55, 0.38, 0.42, 0, -300)]],
    "f": [[*arc(0.65, 0.2, 0.2, 0.2, -20, -180), (0.45, 1)], [(0.15, 0.45), (0.8, 0.45)]],
    "h": [[(0.2, 0), (0.2, 1)], [(0.2, 0.6), *arc(0.5, 0.65, 0.3, 0.25, 180, 360), (0.8, 1)]],
    "k": [[(0.2, 0), (0.2, 1)], [(0.8, 0.35), (0.2, 0.7), (0.8, 1)]],
    "m": [
        [(0.05, 0.35), (0.05, 1)],
        [*arc(0.275, 0.55, 0.225, 0.2, 180, 360), (0.5, 1)],
        [*arc(0.725, 0.55, 0.225, 0.2, 180, 360), (0.95, 1)],
    ],
    "n": [[(0.15, 0.3), (0.15, 1)], [*arc(0.5, 0.55, 0.35, 0.25, 180, 360), (0.85, 1)]],
    "r": [[(0.3, 0.3), (0.3, 1)], arc(0.6, 0.55, 0.3, 0.2, 180, 300)],
    "t": [[(0.45, 0), (0.45, 0.85), *arc(0.65, 0.85, 0.2, 0.15, 180, 90)], [(0.15, 0.35), (0.8, 0.35)]],
    "u": [[(0.15, 0.3), *arc(0.5, 0.7, 0.35, 0.3, 180, 0)], [(0.85, 0.3), (0.85, 1)]],
    "v": [[(0.1, 0.3), (0.5, 1), (0.9, 0.3)]],
    "w": [[(0.02, 0.3), (0.25, 1), (0.5, 0.5), (0.75, 1), (0.98, 0.3)]],
    "x": [[(0.1, 0.3), (0.9, 1)], [(0.9, 0.3), (0.1, 1)]],
}
STAR = [(0.5 + 0.5 * float(np.sin(a)), 0.55 - 0.5 * float(np.cos(a))) for a in np.deg2rad(np.arange(0, 721, 144))]
DOODLES: dict[str, Skeleton] = {
    "smiley": [
        arc(0.5, 0.5, 0.48, 0.48, 0, 360, 24),
        [(0.33, 0.35), (0.35, 0.37)],
        [(0.65, 0.35), (0.67, 0.37)],
        arc(0.5, 0.5, 0.3, 0.3, 20, 160),
    ],
    "star": [STAR],
    "heart": [[(0.5, 1), *arc(0.28, 0.3, 0.22, 0.22, 140, 360), *arc(0.72, 0.3, 0.22, 0.22, 180, 400), (0.5, 1)]],
    "arrow": [[(0.05, 0.5), (0.95, 0.5)], [(0.65, 0.2), (0.95, 0.5), (0.65, 0.8)]],
    "check": [[(0.05, 0.55), (0.35, 0.95), (0.95, 0.05)]],
    "hatch": [[(0.3, 0), (0.3, 1)], [(0.7, 0), (0.7, 1)], [(0, 0.3), (1, 0.3)], [(0, 0.7), (1, 0.7)]],
}
DOODLE_SHARE = 0.3  # of the pictures, the rest are letters


def pen_letter(rng: np.random.Generator, side: int) -> np.ndarray:
    """A letter of LETTER_SKELETONS (or a doodle of DOODLES) drawn with a pen: each point jittered, the box
    stretched, sometimes a short tail off the last stroke, then slanted, turned and wobbled like handwriting."""
    table = DOODLES if rng.random() < DOODLE_SHARE else LETTER_SKELETONS
    skeleton = list(table.values())[int(rng.integers(len(table)))]
    height = rng.uniform(0.5, 0.8) * side
    width = min(height * rng.uniform(0.6, 1.1), 0.85 * side)
    corner = np.array([side - width, side - height]) * (0.5 + rng.uniform(-0.2, 0.2, 2))
    lines = [np.array(line) + rng.normal(0, 0.03, (len(line), 2)) for line in skeleton]
    if rng.random() < 0.3:  # a flick of the pen
        end = lines[-1][-1]
        lines.append(
            np.array([end, end + rng.uniform(0.08, 0.2) * np.array([np.cos(a := rng.uniform(0, 6.3)), np.sin(a)])])
        )
    strokes = [corner + line * [width, height] for line in lines]
    mask = drawing.pen((side, side), strokes, int(rng.integers(2, max(3, side // 12))))
    return drawing.handwrite(mask, rng, shear=0.35, degrees=12, wobble=0.02)
