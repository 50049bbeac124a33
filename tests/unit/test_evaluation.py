"""Confusion matrix, test metrics and per-class rows on hand-checked examples."""

import math

import torch

from digits.evaluation.metrics import classification_metrics, confusion_matrix, per_class_rows


def one_hot_logits(predicted: list[int], num_classes: int = 10) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(predicted), num_classes).float() * 10


def test_confusion_matrix_rows_are_true_classes() -> None:
    matrix = confusion_matrix(torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2]), num_classes=3)
    assert matrix.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]


def test_metrics() -> None:
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    logits = one_hot_logits([0, 1, 1, 1, 0, 2], num_classes=3)
    metrics = classification_metrics(logits, labels)
    assert metrics["accuracy"] == round(4 / 6, 6)
    assert list(metrics) == ["accuracy", "loss", "macro"]  # the headline only: no per-class keys
    # per class: precision = recall = 1/2, 2/3, 1, so F1 is the same
    assert metrics["macro"] == {"f1": round((0.5 + 2 / 3 + 1) / 3, 6)}
    expected_loss = torch.nn.functional.cross_entropy(logits, labels).item()
    assert math.isclose(metrics["loss"], expected_loss, abs_tol=1e-6)


def test_per_class_rows() -> None:
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    rows = per_class_rows(one_hot_logits([0, 1, 1, 1, 0, 2], num_classes=3), labels)
    assert rows[0] == {"digit": 0, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert rows[1] == {"digit": 1, "precision": round(2 / 3, 6), "recall": round(2 / 3, 6), "f1": round(2 / 3, 6)}
    assert rows[2] == {"digit": 2, "precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_absent_class_scores_zero_not_nan() -> None:
    rows = per_class_rows(one_hot_logits([0, 0], num_classes=3), torch.tensor([0, 0]))
    assert rows[2] == {"digit": 2, "precision": 0.0, "recall": 0.0, "f1": 0.0}
