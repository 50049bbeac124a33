"""Selective answers: rank the answers by a score of how sure they are, answer the surest share.

A risk-coverage curve (Geifman & El-Yaniv, NeurIPS 2017) sorts the images by the score, surest
first; at coverage k/N the risk is the error rate among those k. AURC is its mean over k (lower is
better). With about 30 test errors, the figures that matter are counts: errors left at 99% coverage.
The same module measures how well a score separates digits from pictures that are none (AUROC and
the false-positive rate at 95% true-positive rate, digits the positives), written here: torchmetrics'
binary_auroc and binary_roc give the same figures (tests/unit/test_selective.py), but take 2.4 s to import.
"""

import math
from collections.abc import Callable

import torch

from digits.model.confidence import DECISIONS, Calibration, decision_codes, digitness, sureness

# The candidate scores, each (N, 10) logits -> (N,), higher = surer. `margin` (sureness) is the one answers use.
SCORES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    # maximum softmax probability, as its log (max logit - logsumexp) in float64: no ties at 1.0
    "msp": lambda logits: logits.double().max(1).values - torch.logsumexp(logits.double(), dim=1),
    "max_logit": lambda logits: logits.float().max(1).values,
    "margin": sureness,  # top logit minus the second
    "energy": digitness,  # minus the energy: logsumexp of the logits
}
COVERAGES = {"99pct": 0.99, "99_5pct": 0.995}  # metric name -> coverage, for errors left
RISK_TARGET = 0.001  # the coverage at which the error among answered images reaches 0.1%


def errors_by_rank(score: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
    """(N,) cumulative errors among the k surest images, k = 1..N (ties keep index order)."""
    order = torch.sort(-score.double(), stable=True).indices
    return (~correct[order]).long().cumsum(0)


def risk_coverage(score: torch.Tensor, correct: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(coverage, risk), each (N,) float64: the curve at every k = 1..N."""
    k = torch.arange(1, len(score) + 1, dtype=torch.float64)
    return k / len(score), errors_by_rank(score, correct).double() / k


def selective_metrics(score: torch.Tensor, correct: torch.Tensor) -> dict[str, float | int]:
    """AURC, errors left among the surest 99% and 99.5%, and the largest coverage whose risk is at
    most RISK_TARGET (0 if even the surest image is wrong)."""
    coverage, risk = risk_coverage(score, correct)
    errors = errors_by_rank(score, correct)
    n = len(score)
    within = (risk <= RISK_TARGET).nonzero()
    return {
        "aurc": float(f"{float(risk.mean()):.4g}"),  # about 3e-5: four significant figures, not six decimals
        **{f"errors_at_{name}": int(errors[math.ceil(c * n) - 1]) for name, c in COVERAGES.items()},
        "coverage_at_0_1pct_error": round(float(coverage[within[-1]]) if len(within) else 0.0, 6),
    }


def risk_at_coverage(score: torch.Tensor, correct: torch.Tensor, coverage: float) -> float:
    """The error rate among the surest `coverage` share of the images."""
    k = math.ceil(coverage * len(score))
    return float(errors_by_rank(score, correct)[k - 1]) / k


def curve_rows(score: torch.Tensor, correct: torch.Tensor, name: str, points: int = 200) -> list[dict[str, object]]:
    """The risk-coverage curve for a DVC plot: about `points` rows {set, coverage, risk}, from 50%
    coverage up (below it the risk is near 0 on both sets and the plot would waste its width)."""
    coverage, risk = risk_coverage(score, correct)
    n = len(score)
    ks = torch.linspace(math.ceil(n / 2), n, points).round().long().unique() - 1
    return [{"set": name, "coverage": round(float(coverage[k]), 6), "risk": round(float(risk[k]), 6)} for k in ks]


def separation(digits: torch.Tensor, others: torch.Tensor) -> dict[str, float]:
    """How a score (higher = more digit-like) tells digits (N,) from other pictures (M,): AUROC, and
    the share of the others accepted when 95% of the digits are (FPR at 95% TPR)."""
    return {"auroc": round(auroc(digits, others), 6), "fpr_at_95_tpr": round(fpr_at_tpr(digits, others, 0.95), 6)}


def auroc(positives: torch.Tensor, negatives: torch.Tensor) -> float:
    """The chance that a random positive (N,) scores above a random negative (M,), a tie counting half: the
    Mann-Whitney U over N x M, from the ranks of all N + M scores (tied scores share their mean rank)."""
    scores = torch.cat([positives, negatives]).double()
    _, group, counts = torch.unique(scores, return_inverse=True, return_counts=True)  # groups ascending
    last = counts.cumsum(0).double()  # 1-based rank of each group's last score
    ranks = (last - (counts.double() - 1) / 2)[group]
    n, m = len(positives), len(negatives)
    return float((ranks[:n].sum() - n * (n + 1) / 2) / (n * m))


def fpr_at_tpr(positives: torch.Tensor, negatives: torch.Tensor, tpr: float) -> float:
    """The share of negatives scoring at or above the highest threshold that keeps at least `tpr` of the positives:
    the k-th highest positive score, k the fewest positives that make up `tpr`."""
    kept = torch.arange(1, len(positives) + 1, dtype=torch.float64) / len(positives)  # TPR keeping the top k
    k = int(torch.nonzero(kept >= tpr)[0])
    threshold = torch.sort(positives.double(), descending=True).values[k]
    return float((negatives.double() >= threshold).double().mean())


def selective_report(logits: torch.Tensor, labels: torch.Tensor, calibration: Calibration) -> dict[str, object]:
    """metrics/selective.json's figures for (N, 10) calibrated logits: those of the score answers use
    (sureness), the AURC of every candidate score, and the checkpoint's decisions (shares of the images,
    and the errors among those answered as digits)."""
    correct = logits.argmax(1) == labels
    codes = decision_codes(logits, calibration)
    shares = {name: round(float((codes == code).double().mean()), 6) for code, name in enumerate(DECISIONS)}
    return {
        **selective_metrics(sureness(logits), correct),
        "aurc_by_score": {name: selective_metrics(score(logits), correct)["aurc"] for name, score in SCORES.items()},
        "decisions": {**shares, "errors_answered": int((~correct & (codes == 0)).sum())},
    }
