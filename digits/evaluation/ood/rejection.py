"""Not a digit, and MNIST's own test digits as pictures: what the `ood` stage measures of the decisions.

MNIST's test digits go through the picture path (digits.data.imageprep.mnistify) as a user's file would,
so that the digits and the generated non-digits (nondigits.py) are seen the same way. The digits are the
positives: for each kind of non-digit, how well digitness (digits/model/confidence.py) tells them apart.
Letters that are twins of digits (O/0, S/5, ...) are reported apart: an O may fairly read as a 0.
"""

import numpy as np
import torch
from torch import nn

from digits.data.imageprep import mnistify
from digits.data.splits import Normalization, Split, normalize
from digits.evaluation.ood.nondigits import KINDS, nondigit_pixels
from digits.evaluation.reports import to_pixels
from digits.evaluation.selective import separation
from digits.model.confidence import digitness
from digits.model.networks import predict_logits

PER_KIND = 500  # generated pictures of each kind
TWINS = "letter_twins"


def split_pixels(test: Split) -> np.ndarray:
    """The test images back as (N, 28, 28) uint8 pixels, white on black, as in MNIST's files."""
    return (to_pixels(test.images, test.norm) * 255).round().to(torch.uint8).numpy()


def as_pictures(pixels: np.ndarray, norm: Normalization) -> torch.Tensor:
    """(N, 28, 28) uint8 digits, each through the picture path as a file -> (N, 1, 28, 28) model inputs."""
    return normalize(np.stack([mnistify(p.astype(np.float32)) for p in pixels]), norm)


def non_digit_pixels(seed: int, digits: np.ndarray) -> dict[str, tuple[np.ndarray, int]]:
    """Per kind: (n, 28, 28) uint8 pictures as the model sees them, and how many the picture path refused."""
    return {kind: nondigit_pixels(kind, PER_KIND, seed, digits) for kind in KINDS}


def non_digit_report(
    model: nn.Module,
    digit_logits: torch.Tensor,
    kinds: dict[str, tuple[np.ndarray, int]],
    norm: Normalization,
    batch_size: int,
    device: torch.device,
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """(metrics, plot rows): per kind, AUROC and FPR at 95% TPR of digitness, digits (N, 10 calibrated
    logits) against the kind's pictures; the worst kind apart from the twins; one row per kind."""
    digits = digitness(digit_logits)
    per_kind = {}
    for kind, (pixels, refused) in kinds.items():
        logits = predict_logits(model, normalize(pixels, norm), batch_size, device)
        per_kind[kind] = {**separation(digits, digitness(logits)), "refused": refused}
    worst = min((k for k in per_kind if k != TWINS), key=lambda k: per_kind[k]["auroc"])
    metrics = {"score": "digitness", **per_kind, "worst_kind": worst, "worst_auroc": per_kind[worst]["auroc"]}
    rows = [{"kind": kind, "auroc": m["auroc"], "fpr_at_95_tpr": m["fpr_at_95_tpr"]} for kind, m in per_kind.items()]
    return metrics, rows
