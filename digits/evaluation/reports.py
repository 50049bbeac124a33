"""What evaluate reports beyond the headline metrics: confusion rows, calibration, worst errors, its summary line."""

import torch

from digits.data.splits import Normalization


def confusion_rows(predicted: torch.Tensor, labels: torch.Tensor) -> list[dict[str, int]]:
    """One {actual, predicted} row per image: the input DVC's `confusion` plot template expects."""
    return [{"actual": a, "predicted": p} for a, p in zip(labels.tolist(), predicted.tolist(), strict=True)]


def calibration(probabilities: torch.Tensor, labels: torch.Tensor, bins: int) -> tuple[list[dict[str, float]], float]:
    """Reliability diagram rows and expected calibration error (ECE).

    probabilities: (N, 10) softmax outputs. Images are binned by top-class confidence into
    `bins` equal-width bins over [0, 1]; each non-empty bin reports its edges, its mean confidence,
    its accuracy and its number of images (the plot shows how little a bin of a few images weighs).
    ECE = sum over bins of share of images * |accuracy - confidence|.
    """
    confidence, predicted = probabilities.max(1)
    correct = (predicted == labels).double()
    which = (confidence.double() * bins).long().clamp(max=bins - 1)  # bin index 0 .. bins-1
    rows, ece = [], 0.0
    for b in range(bins):
        members = which == b
        count = int(members.sum())
        if count == 0:
            continue
        mean_confidence = confidence[members].double().mean().item()
        accuracy = correct[members].mean().item()
        share = count / len(labels)
        ece += share * abs(accuracy - mean_confidence)
        edges = {"lower": round(b / bins, 6), "upper": round((b + 1) / bins, 6)}
        rows.append(
            {
                "bin": b,
                **edges,
                "confidence": round(mean_confidence, 6),
                "accuracy": round(accuracy, 6),
                "images": count,
            }
        )
    return rows, round(ece, 6)


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


def summary_line(metrics: dict[str, object], errors: int) -> str:
    """The line `dvc repro` shows: 'test accuracy 99.69% (31 errors of 10,000), loss 0.1068, ECE 0.0935'."""
    return (
        f"test accuracy {metrics['accuracy']:.2%} ({errors:,} errors of {metrics['n_images']:,}), "
        f"loss {metrics['loss']:.4f}, ECE {metrics['ece']:.4f}"
    )
