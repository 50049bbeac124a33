"""What evaluate reports beyond the headline metrics: confusion rows, worst errors, its summary line."""

import torch

from digits.data.splits import Normalization


def confusion_rows(predicted: torch.Tensor, labels: torch.Tensor) -> list[dict[str, int]]:
    """One {actual, predicted} row per image: the input DVC's `confusion` plot template expects."""
    return [{"actual": a, "predicted": p} for a, p in zip(labels.tolist(), predicted.tolist(), strict=True)]


def confident_errors(probabilities: torch.Tensor, labels: torch.Tensor, limit: int) -> torch.Tensor:
    """Indices of up to `limit` misclassified images, most confident (in the wrong class) first."""
    confidence, predicted = probabilities.max(1)
    wrong = (predicted != labels).nonzero().flatten()
    # stable sort on the negated confidence: ties keep index order, so the choice is deterministic
    order = torch.sort(-confidence[wrong], stable=True).indices
    return wrong[order[:limit]]


def to_pixels(images: torch.Tensor, norm: Normalization) -> torch.Tensor:
    """Undo normalization: (N, 1, 28, 28) normalized -> (N, 28, 28) float in [0, 1] for display."""
    return (images[:, 0] * norm.std + norm.mean).clamp(0, 1)


def summary_line(metrics: dict[str, object], errors: int, images: int) -> str:
    """The line `dvc repro` shows: 'test accuracy 99.69% (31 errors of 10,000), NLL 0.0123, ECE 0.0021'."""
    return (
        f"test accuracy {metrics['accuracy']:.2%} ({errors:,} errors of {images:,}), "
        f"NLL {metrics['loss']:.4f}, ECE {metrics['ece']:.4f}"
    )
