"""Draw digits the way one new writer does, unlike MNIST's writers, as the page's canvas would: a
280x280 white square, black round-capped strokes. The writer is a child with a continental hand (1s
with a long up-stroke and a foot, crossed 7s, open-topped 4s, flat-topped 3s, 2s with a loop) who
writes 3, 4, 6, 7 and 9 backwards, as children learning to write often do. (Not 2 and 5: mirrored,
each would be the other.) Each picture jitters the writer's strokes (slant, size, position, wobble),
seeded, so the same command draws the same pictures. The model of issue 15 reads the continental
hand well and the mirrored digits mostly wrong: the pictures a page's corrections would collect.

    python scripts/new_writer.py OUT [--per-digit 40] [--seed 0]
    digits collect OUT/7/*.png --label 7      # ... for each digit: import them into data/collected/
"""

import argparse
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

SIDE = 280  # pixels: the page's canvas
MIRRORED = (3, 4, 6, 7, 9)  # digits the writer writes backwards
INK = 22  # pixels: stroke width, about the page's pen
Stroke = list[tuple[float, float]]  # points in the unit square, y down


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Stroke:
    """Points along an ellipse from angle `start` to `end` (degrees, clockwise on screen from 3 o'clock)."""
    angles = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# The writer's hand: each digit as strokes in the unit square.
HAND: dict[int, list[Stroke]] = {
    0: [arc(0.5, 0.5, 0.22, 0.36, -90, 270)],
    1: [[(0.3, 0.38), (0.58, 0.12), (0.58, 0.88)], [(0.4, 0.88), (0.76, 0.88)]],
    2: [
        [
            *arc(0.5, 0.32, 0.22, 0.2, 190, 360),
            (0.66, 0.5),
            (0.3, 0.84),
            *arc(0.36, 0.8, 0.08, 0.07, 200, 400, 12),
            (0.78, 0.86),
        ]
    ],
    3: [[(0.28, 0.14), (0.72, 0.14), (0.44, 0.44), *arc(0.48, 0.64, 0.24, 0.22, -100, 150)]],
    4: [[(0.44, 0.12), (0.26, 0.6), (0.8, 0.6)], [(0.64, 0.32), (0.64, 0.9)]],
    5: [[(0.72, 0.14), (0.34, 0.14), (0.3, 0.46), *arc(0.5, 0.64, 0.24, 0.22, -120, 150)]],
    6: [[(0.66, 0.12), (0.34, 0.56), *arc(0.52, 0.68, 0.19, 0.19, 200, 560)]],
    7: [[(0.24, 0.26), (0.26, 0.14), (0.76, 0.14), (0.44, 0.88)], [(0.34, 0.5), (0.74, 0.5)]],
    8: [arc(0.5, 0.3, 0.17, 0.17, 90, 450), arc(0.5, 0.68, 0.22, 0.2, -90, 270)],
    9: [[*arc(0.52, 0.3, 0.15, 0.14, 20, 380), (0.66, 0.34), (0.6, 0.78), *arc(0.48, 0.78, 0.12, 0.1, 0, 160, 10)]],
}


def jittered(strokes: list[Stroke], rng: np.random.Generator) -> list[np.ndarray]:
    """The strokes under a random slant, size, aspect, rotation, position and a small wobble; (n, 2) pixels."""
    slant, angle = math.tan(math.radians(rng.uniform(-5, 20))), math.radians(rng.uniform(-8, 8))
    scale = rng.uniform(0.6, 0.95) * SIDE
    aspect = rng.uniform(0.8, 1.15)
    rotate = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    shift = rng.uniform(-0.08, 0.08, 2) * SIDE + SIDE / 2
    out = []
    for stroke in strokes:
        points = np.array(stroke) - 0.5 + rng.normal(0, 0.012, (len(stroke), 2))
        points[:, 0] = (points[:, 0] - slant * points[:, 1]) * aspect
        out.append(points @ rotate.T * scale + shift)
    return out


def draw(strokes: list[np.ndarray]) -> Image.Image:
    image = Image.new("L", (SIDE, SIDE), 255)
    pen = ImageDraw.Draw(image)
    for points in strokes:
        line = [tuple(p) for p in points]
        pen.line(line, fill=0, width=INK, joint="curve")
        for end in (line[0], line[-1]):  # round caps, as the page's pen has
            pen.ellipse([end[0] - INK / 2, end[1] - INK / 2, end[0] + INK / 2, end[1] + INK / 2], fill=0)
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder: OUT/<digit>/<n>.png")
    parser.add_argument("--per-digit", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for digit, strokes in HAND.items():
        (args.out / str(digit)).mkdir(parents=True, exist_ok=True)
        for n in range(args.per_digit):
            picture = draw(jittered(strokes, rng))
            (ImageOps.mirror(picture) if digit in MIRRORED else picture).save(args.out / str(digit) / f"{n:03d}.png")
    print(f"new_writer: {10 * args.per_digit} pictures in {args.out}/<digit>/")


if __name__ == "__main__":
    main()
