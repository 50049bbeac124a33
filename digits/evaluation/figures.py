"""Figures evaluate writes as PNG, drawn with matplotlib's object API (no pyplot, no display)."""

import math
from pathlib import Path

import torch
from matplotlib.figure import Figure

from digits.core.atomic import atomic_file


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
    """
    columns = max(len(pixels) for pixels in rows.values())
    figure = Figure(figsize=(0.8 * columns + 1.6, 0.85 * len(rows)), layout="constrained")
    axes = figure.subplots(len(rows), columns, squeeze=False)
    for (name, pixels), line in zip(rows.items(), axes, strict=True):
        for ax in line:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
        for ax, image in zip(line, pixels, strict=False):
            ax.imshow(image.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        line[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    figure.suptitle("The robustness suite: MNIST test digits under each variant")
    return figure
