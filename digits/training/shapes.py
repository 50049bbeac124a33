"""Filled shapes for the training family of non-digits (digits/training/outliers.py): random polygons,
ellipses, blobs and garment-like silhouettes (shirts, pullovers, trousers, dresses, bags, shoes, boots),
solid, textured or outlined. Outlines are (n, 2) (x, y) points in unit coordinates (0..1 of the sheet's
side, y down); masks are (side, side) float32 ink coverage 0..1.
"""

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from digits.data import drawing

Outline = Callable[[np.random.Generator], np.ndarray]


def mirrored(left: list[tuple[float, float]]) -> np.ndarray:
    """The left half of a symmetric outline, top to bottom -> the whole outline, the right half mirrored."""
    half = np.array(left)
    return np.concatenate([half, (1 - half[::-1, 0:1]) * [1, 0] + half[::-1] * [0, 1]])


def shirt(rng: np.random.Generator) -> np.ndarray:
    """A T-shirt (short sleeves held out) or a pullover (long sleeves hanging by the body)."""
    body, neck, wide = rng.uniform(0.2, 0.28), rng.uniform(0.07, 0.13), rng.uniform(0.1, 0.14)
    angle, length = (rng.uniform(20, 45), rng.uniform(0.1, 0.2)) if rng.random() < 0.5 else (80, rng.uniform(0.5, 0.7))
    move = length * np.array([-np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))])
    shoulder, armpit = np.array([0.5 - body, 0.12]), np.array([0.5 - body, 0.12 + wide])
    out, cuff = shoulder + move, armpit + move + [0.02, 0]
    return mirrored([(0.5 - neck, 0.08), tuple(shoulder), tuple(out), tuple(cuff), tuple(armpit), (0.5 - body, 0.92)])


def trousers(rng: np.random.Generator) -> np.ndarray:
    """Two legs split from `crotch` down, `gap` apart at the hem (at least 2 px once fitted in MNIST's box)."""
    waist, flare = rng.uniform(0.16, 0.24), rng.uniform(0, 0.06)
    gap, crotch = rng.uniform(0.05, 0.1), rng.uniform(0.25, 0.4)
    return mirrored([(0.5 - waist, 0.05), (0.5 - waist - flare, 0.95), (0.5 - gap, 0.95), (0.5, crotch)])


def dress(rng: np.random.Generator) -> np.ndarray:
    top, waist, hem = rng.uniform(0.08, 0.16), rng.uniform(0.08, 0.14), rng.uniform(0.22, 0.42)
    return mirrored([(0.5 - top, 0.05), (0.5 - waist, rng.uniform(0.3, 0.4)), (0.5 - hem, 0.95)])


def bag(rng: np.random.Generator) -> np.ndarray:
    """A bag's body with its handle as a thin loop above it (one outline, traced up one side and down the other)."""
    half, top, lift = rng.uniform(0.25, 0.42), rng.uniform(0.35, 0.5), rng.uniform(0.15, 0.3)
    arc = np.linspace(np.pi, 0, 9)
    outer = np.stack([0.5 + 0.6 * half * np.cos(arc), top - lift * np.sin(arc)], 1)
    inner = np.stack([0.5 + 0.5 * half * np.cos(arc[::-1]), top - 0.8 * lift * np.sin(arc[::-1])], 1)
    body = [(0.5 + half, top), (0.5 + half, 0.92), (0.5 - half, 0.92), (0.5 - half, top)]
    return np.concatenate([outer, inner, [(0.5 - 0.3 * half, top)], body])


def shoe(rng: np.random.Generator) -> np.ndarray:
    """A sneaker (low) or an ankle boot (a shaft up to `ankle`) in profile, toe to the right."""
    ankle, heel = (rng.uniform(0.35, 0.45), 0.05) if rng.random() < 0.5 else (rng.uniform(0.08, 0.2), 0.12)
    sole = rng.uniform(0.72, 0.82)
    toe = [(0.95, sole + 0.08), (0.95, sole - 0.04), (0.7, sole - rng.uniform(0.1, 0.2)), (0.5, ankle + 0.15)]
    return np.array([(heel, sole + 0.08), *toe, (0.45, ankle), (heel + 0.05, ankle), (heel, sole - 0.2)])


def polygon(rng: np.random.Generator) -> np.ndarray:
    """A star-convex polygon of 5-12 corners, stretched up to 2.5:1."""
    corners = int(rng.integers(5, 13))
    angles = np.sort(rng.uniform(0, 2 * np.pi, corners))
    radii = 0.4 * rng.uniform(0.5, 1.0, corners)
    stretch = rng.uniform(1.0, 2.5)
    return 0.5 + np.stack([radii * np.cos(angles), radii * np.sin(angles) / stretch], 1)


def ellipse(rng: np.random.Generator) -> np.ndarray:
    turn = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    return 0.5 + np.stack([0.42 * np.cos(turn), 0.42 / rng.uniform(1.3, 3.0) * np.sin(turn)], 1)


GARMENTS: tuple[Outline, ...] = (shirt, trousers, dress, bag, shoe)
OUTLINES: tuple[Outline, ...] = (*GARMENTS, polygon, ellipse)


def fill(outline: np.ndarray, side: int) -> np.ndarray:
    """(n, 2) unit outline -> (side, side) mask, 1 inside."""
    image = Image.new("L", (side, side), 0)
    ImageDraw.Draw(image).polygon([(float(x) * side, float(y) * side) for x, y in outline], fill=255)
    return np.asarray(image, dtype=np.float32) / 255


def blob(side: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth noise above a level: one or a few rounded islands -> (side, side) mask 0..1, covering at least 15%
    of the sheet (redrawn up to 10 times: a small lone island is often a sliver, a 1)."""
    for _ in range(10):
        field = drawing.smooth_field((side, side), int(rng.integers(3, 6)), rng)
        mask = np.clip((field - rng.uniform(0.3, 0.9)) * 4, 0, 1)
        if np.mean(mask > 0.5) >= 0.15:
            break
    return mask


def texture(mask: np.ndarray, rng: np.random.Generator, outlined: bool) -> np.ndarray:
    """A filled (side, side) mask solid, grey, striped, checked, mottled or (if `outlined`) only outlined."""
    style = int(rng.integers(6 if outlined else 5))
    if style == 0:
        return mask
    if style == 1:
        return mask * rng.uniform(0.4, 0.8)
    if style == 4:
        return mask * np.clip(0.7 + 0.3 * drawing.smooth_field(mask.shape, 8, rng), 0, 1)
    if style == 5:
        return np.clip(mask - drawing.restroke(mask, -int(rng.integers(2, 4))), 0, 1)
    rows, cols = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]].astype(np.float32)
    angle, period = rng.uniform(0, np.pi), rng.uniform(4, 10)  # the stripes' direction, and px between them
    wave = np.sin(2 * np.pi * (rows * np.cos(angle) + cols * np.sin(angle)) / period)
    if style == 3:  # checks: stripes across stripes
        wave *= np.sin(2 * np.pi * (cols * np.cos(angle) - rows * np.sin(angle)) / period)
    return mask * (0.55 + 0.45 * np.sign(wave))


def shape(rng: np.random.Generator, side: int) -> np.ndarray:
    """One filled shape, turned and wobbled a little -> (side, side) mask 0..1. Only garments may be drawn as
    outlines: the outline of an ellipse, a polygon or a blob is a 0."""
    kind = int(rng.integers(len(OUTLINES) + 1))
    if kind == len(OUTLINES):
        mask = blob(side, rng)
    else:
        outline = OUTLINES[kind](rng)
        mask = fill(outline + rng.normal(0, 0.015, outline.shape), side)
    mask = drawing.handwrite(mask, rng, shear=0.15, degrees=15, wobble=0.01)
    return texture(mask, rng, outlined=kind < len(GARMENTS))
