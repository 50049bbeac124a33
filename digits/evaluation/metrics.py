"""Scores of a trained model on a labelled split."""

import torch
import torch.nn.functional as F
from torch import nn

from digits.model.networks import predict_logits

SCORES = ("precision", "recall", "f1")  # the per-class scores, in the order precision_recall_f1 stacks them


def loss_and_accuracy(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int, device: torch.device
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (0..1) of `model` on (images, labels), in eval mode."""
    return logits_loss_and_accuracy(predict_logits(model, images, batch_size, device), labels)


def logits_loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (0..1) of (N, C) logits against (N,) labels."""
    labels = labels.cpu()
    loss = F.cross_entropy(logits, labels).item()
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    return loss, accuracy


def confusion_matrix(predicted: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """(num_classes, num_classes) int64 counts; row = true class, column = predicted class."""
    return torch.bincount(labels * num_classes + predicted, minlength=num_classes**2).reshape(num_classes, num_classes)


def precision_recall_f1(predicted: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(3, num_classes) float64: per class, precision (of the images predicted as it), recall (of its
    images) and F1; 0 where a class is never predicted or absent."""
    confusion = confusion_matrix(predicted, labels, num_classes).double()
    hits = confusion.diag()
    precision = hits / confusion.sum(0).clamp(min=1)
    recall = hits / confusion.sum(1).clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    return torch.stack([precision, recall, f1])


def classification_metrics(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, object]:
    """The headline test metrics of metrics/test.json: accuracy, loss, macro F1 (the number of images is the
    test split's, one confusion row each; macro precision and
    recall, and every per-class score, are in the per-class plot file: `dvc metrics show` fits a terminal)."""
    predicted = logits.argmax(1)
    macro_f1 = precision_recall_f1(predicted, labels, logits.shape[1])[2].mean()
    return {
        "accuracy": round((predicted == labels).double().mean().item(), 6),
        "loss": round(F.cross_entropy(logits, labels).item(), 6),
        "macro": {"f1": round(macro_f1.item(), 6)},
    }


def per_class_rows(logits: torch.Tensor, labels: torch.Tensor) -> list[dict[str, object]]:
    """One {digit, precision, recall, f1} row per class: a plot file (metrics/plots/per_class.json), not a
    metric, so that `dvc metrics show` and `dvc exp show` keep to the headline figures."""
    scores = precision_recall_f1(logits.argmax(1), labels, logits.shape[1]).T  # (num_classes, 3)
    return [
        {"digit": digit, **{name: round(value, 6) for name, value in zip(SCORES, row, strict=True)}}
        for digit, row in enumerate(scores.tolist())
    ]
