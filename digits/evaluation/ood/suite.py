"""Scores on the out-of-distribution sets: the UCI digits as pictures, and the robustness suite."""

import torch
from torch import nn

from digits.data.splits import Split
from digits.evaluation.calibration import ece
from digits.evaluation.metrics import per_class_rows
from digits.evaluation.ood.uci import UPSCALINGS
from digits.evaluation.ood.variants import VARIANTS, make_variant
from digits.evaluation.reports import to_pixels
from digits.evaluation.selective import curve_rows, risk_at_coverage, selective_metrics
from digits.model.confidence import sureness
from digits.model.networks import predict_logits

UCI_COVERAGE = 0.9  # the UCI digits' error is also reported among the surest 90% of them


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return round((logits.argmax(1) == labels).double().mean().item(), 6)


def uci_metrics(
    model: nn.Module,
    uci: dict[str, torch.Tensor],
    labels: torch.Tensor,
    batch_size: int,
    device: torch.device,
    bins: int,
) -> tuple[dict[str, object], list[dict[str, object]], list[dict[str, object]]]:
    """The 1,797 UCI digits (`uci`: the model inputs under each upscaling, uci.uci_inputs), upscaled the first
    way in UPSCALINGS: (metrics, one {digit, recall} row per digit, the risk-coverage curve). The metrics hold
    the accuracy, the accuracy under each other upscaling, the ECE (`bins` equal-width bins), the AURC and the
    error among the surest UCI_COVERAGE of them."""
    reported, *others = UPSCALINGS
    logits = predict_logits(model, uci[reported], batch_size, device)  # (1797, 10), calibrated
    recall = [{"digit": row["digit"], "recall": row["recall"]} for row in per_class_rows(logits, labels)]
    other_accuracy = {name: accuracy(predict_logits(model, uci[name], batch_size, device), labels) for name in others}
    correct = logits.argmax(1) == labels
    metrics = {
        "accuracy": accuracy(logits, labels),
        "n_images": len(labels),
        "upscaling": reported,
        "ece": round(ece(logits, labels, bins), 6),
        "aurc": selective_metrics(sureness(logits), correct)["aurc"],
        "error_at_90pct_coverage": round(risk_at_coverage(sureness(logits), correct, UCI_COVERAGE), 6),
    }
    return {**metrics, "other_upscalings": other_accuracy}, recall, curve_rows(sureness(logits), correct, "UCI digits")


def variant_inputs(test: Split, name: str, seed: int) -> torch.Tensor:
    """Variant `name` of the test images, normalized as they were: (N, 1, 28, 28) float32."""
    pixels = to_pixels(test.images, test.norm).unsqueeze(1)  # (N, 1, 28, 28) in [0, 1]
    return (make_variant(name, pixels, seed) - test.norm.mean) / test.norm.std


def variant_accuracies(
    model: nn.Module, test: Split, seed: int, batch_size: int, device: torch.device
) -> dict[str, float]:
    """Accuracy on each variant of the test set, by variant name in VARIANTS order."""
    return {
        name: accuracy(predict_logits(model, variant_inputs(test, name, seed), batch_size, device), test.labels)
        for name in VARIANTS
    }


def robustness_metrics(scores: dict[str, float]) -> dict[str, object]:
    """The suite's headline for metrics/ood.json: the mean accuracy and the worst variant. The accuracy of
    every variant goes to a plot file (robustness_rows), which keeps `dvc exp show` narrow."""
    worst = min(scores, key=scores.__getitem__)  # the first of equals, in VARIANTS order
    return {
        "mean_accuracy": round(sum(scores.values()) / len(scores), 6),
        "worst_accuracy": scores[worst],
        "worst_variant": worst,
    }


def robustness_rows(scores: dict[str, float]) -> list[dict[str, object]]:
    """One {variant, accuracy} row per variant: the input of DVC's bar_horizontal plot template."""
    return [{"variant": name, "accuracy": score} for name, score in scores.items()]
