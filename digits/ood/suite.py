"""Scores on the out-of-distribution sets: the UCI digits as pictures, and the robustness suite."""

import torch
from torch import nn

from digits.data import Normalization, Split
from digits.evaluation import classification_metrics
from digits.models import predict_logits
from digits.ood.uci import UPSCALINGS, uci_inputs
from digits.ood.variants import VARIANTS, make_variant
from digits.reports import to_pixels


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return round((logits.argmax(1) == labels).double().mean().item(), 6)


def uci_metrics(model: nn.Module, norm: Normalization, batch_size: int, device: torch.device) -> dict[str, object]:
    """Accuracy and per-class recall on the 1,797 UCI digits, upscaled the first way in UPSCALINGS;
    the accuracy under each other upscaling beside it."""
    reported, *others = UPSCALINGS
    images, labels = uci_inputs(norm, reported)
    scores = classification_metrics(predict_logits(model, images, batch_size, device), labels)
    recall = {digit: scores["per_class"][digit]["recall"] for digit in scores["per_class"]}
    other_accuracy = {
        name: accuracy(predict_logits(model, uci_inputs(norm, name)[0], batch_size, device), labels) for name in others
    }
    return {
        "accuracy": scores["accuracy"],
        "n_images": scores["n_images"],
        "upscaling": reported,
        "per_class_recall": recall,
        "other_upscalings": other_accuracy,
    }


def variant_inputs(test: Split, name: str, seed: int) -> torch.Tensor:
    """Variant `name` of the test images, normalized as they were: (N, 1, 28, 28) float32."""
    pixels = to_pixels(test.images, test.norm).unsqueeze(1)  # (N, 1, 28, 28) in [0, 1]
    return (make_variant(name, pixels, seed) - test.norm.mean) / test.norm.std


def robustness_metrics(
    model: nn.Module, test: Split, seed: int, batch_size: int, device: torch.device
) -> dict[str, object]:
    """Accuracy on each variant of the test set, and their mean."""
    scores = {
        name: accuracy(predict_logits(model, variant_inputs(test, name, seed), batch_size, device), test.labels)
        for name in VARIANTS
    }
    return {"mean_accuracy": round(sum(scores.values()) / len(scores), 6), "variants": scores}


def robustness_rows(robustness: dict[str, object]) -> list[dict[str, object]]:
    """One {variant, accuracy} row per variant: the input of DVC's bar_horizontal plot template."""
    variants = robustness["variants"]
    assert isinstance(variants, dict)
    return [{"variant": name, "accuracy": score} for name, score in variants.items()]
