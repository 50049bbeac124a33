"""Scores of a trained model on a labelled split."""

import torch
import torch.nn.functional as F
from torch import nn

from digits.models import predict_logits


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


def classification_metrics(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, object]:
    """Test metrics for metrics/test.json: accuracy, loss, macro and per-class precision/recall/F1."""
    predicted = logits.argmax(1)
    confusion = confusion_matrix(predicted, labels, logits.shape[1]).double()
    hits = confusion.diag()
    precision = hits / confusion.sum(0).clamp(min=1)  # of the images predicted as the class
    recall = hits / confusion.sum(1).clamp(min=1)  # of the images of the class
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    per_class = {
        str(c): {
            "precision": round(precision[c].item(), 6),
            "recall": round(recall[c].item(), 6),
            "f1": round(f1[c].item(), 6),
        }
        for c in range(len(hits))
    }
    return {
        "accuracy": round((predicted == labels).double().mean().item(), 6),
        "loss": round(F.cross_entropy(logits, labels).item(), 6),
        "n_images": len(labels),
        "macro": {
            "precision": round(precision.mean().item(), 6),
            "recall": round(recall.mean().item(), 6),
            "f1": round(f1.mean().item(), 6),
        },
        "per_class": per_class,
    }
