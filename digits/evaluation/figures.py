"""Figures evaluate writes as PNG, drawn with matplotlib's object API (no pyplot, no display)."""

import math
from pathlib import Path

import torch
from matplotlib.figure import Figure

from digits.core.atomic import atomic_file

TILE_GAP = 4  # px of white between the digits of variant_grid


def error_grid(
    pixels: torch.Tensor, actual: list[int], predicted: list[int], confidence: list[float], columns: int = 6
) -> Figure:
    """A grid of misclassified digits, each titled 'true 4 → 9 (97%)'.

    pixels: (K, 28, 28) float in [0, 1], ink bright (drawn as dark ink on white).
    """
    rows = max(1, math.ceil(len(pixels) / columns))
    figure = Figure(figsize=(1.6 * columns, 1.8 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).flatten()
    for ax in axes:
        ax.set_axis_off()
    for ax, image, true, guess, conf in zip(axes, pixels, actual, predicted, confidence, strict=False):
        ax.imshow(image.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"true {true} → {guess}\n({conf:.0%})", fontsize=9)
    if len(pixels) == 0:
        axes[0].text(0.5, 0.5, "no misclassified test images", ha="center", va="center")
    figure.suptitle("Most confident mistakes on the test set")
    return figure


def save_png(figure: Figure, path: Path) -> None:
    """Write atomically, without the 'Software' metadata, so equal figures give equal bytes."""
    with atomic_file(path) as tmp:
        figure.savefig(tmp, format="png", dpi=80, metadata={"Software": None})


def variant_grid(rows: dict[str, torch.Tensor]) -> Figure:
    """One row of digits per variant, the variant's name on the left.

    rows: name -> (K, 28, 28) float in [0, 1], ink bright (drawn as dark ink on white).
    The digits are tiled into one image on one Axes: an Axes per digit (100 of them here) took matplotlib
    over a second per figure to lay out, a second of every `ood` run.
    """
    columns, digit = max(len(pixels) for pixels in rows.values()), next(iter(rows.values())).shape[-1]  # 28 px
    side = digit + TILE_GAP
    mosaic = torch.zeros(len(rows) * side - TILE_GAP, columns * side - TILE_GAP)  # (H, W): no ink, white
    for row, pixels in enumerate(rows.values()):
        for column, image in enumerate(pixels):
            mosaic[row * side : row * side + digit, column * side : column * side + digit] = image
    figure = Figure(figsize=(0.8 * columns + 1.6, 0.85 * len(rows)), layout="constrained")
    ax = figure.subplots()
    ax.imshow(mosaic.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([row * side + digit / 2 for row in range(len(rows))], list(rows), fontsize=9)
    ax.tick_params(left=False)
    ax.spines[:].set_visible(False)
    figure.suptitle("The robustness suite: MNIST test digits under each variant")
    return figure
