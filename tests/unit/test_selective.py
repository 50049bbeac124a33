"""Risk-coverage figures and the separation of digits from non-digits, on tiny hand-made cases, and AUROC and the
ROC against their definition and torchmetrics."""

import pytest
import torch
from torchmetrics.functional.classification import binary_auroc, binary_roc

from digits.evaluation.selective import (
    SCORES,
    auroc,
    curve_rows,
    fpr_at_tpr,
    risk_at_coverage,
    risk_coverage,
    selective_metrics,
    selective_report,
    separation,
)
from digits.model.confidence import Calibration

# five answers, surest first: right, right, wrong, right, wrong
SCORE = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5])
CORRECT = torch.tensor([True, True, False, True, False])


def test_risk_coverage_by_hand() -> None:
    coverage, risk = risk_coverage(SCORE, CORRECT)
    assert coverage.tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert risk.tolist() == pytest.approx([0, 0, 1 / 3, 1 / 4, 2 / 5])


def test_the_order_is_the_score_not_the_input() -> None:
    order = torch.tensor([4, 2, 0, 3, 1])
    assert risk_coverage(SCORE[order], CORRECT[order])[1].tolist() == pytest.approx([0, 0, 1 / 3, 1 / 4, 2 / 5])


def test_selective_metrics_by_hand() -> None:
    metrics = selective_metrics(SCORE, CORRECT)
    assert metrics["aurc"] == pytest.approx((0 + 0 + 1 / 3 + 1 / 4 + 2 / 5) / 5, rel=1e-3)  # 4 significant figures
    assert metrics["errors_at_99pct"] == 2  # ceil(0.99 * 5) = all five
    assert metrics["coverage_at_0_1pct_error"] == pytest.approx(0.4)  # the two surest, no error


def test_errors_at_coverage_count_among_the_surest() -> None:
    score = torch.arange(1000, 0, -1).float()  # surest first
    correct = torch.ones(1000, dtype=torch.bool)
    correct[[500, 992, 999]] = False  # one in the surest 99%, one in 99.5%, one only at 100%
    metrics = selective_metrics(score, correct)
    assert (metrics["errors_at_99pct"], metrics["errors_at_99_5pct"]) == (1, 2)
    # the first error, 501st surest, is already 1 in 501 > 0.1%; after it the risk never falls back to 0.1%
    assert metrics["coverage_at_0_1pct_error"] == pytest.approx(0.5)
    assert risk_at_coverage(score, correct, 0.5) == pytest.approx(0.0)


def test_curve_rows_start_at_half_coverage_and_end_at_all() -> None:
    rows = curve_rows(SCORE, CORRECT, "tiny", points=10)
    assert rows[0]["coverage"] == pytest.approx(0.6) and rows[-1] == {"set": "tiny", "coverage": 1.0, "risk": 0.4}


def test_separation_by_hand() -> None:
    perfect = separation(torch.tensor([3.0, 4.0]), torch.tensor([1.0, 2.0]))
    assert perfect == {"auroc": 1.0, "fpr_at_95_tpr": 0.0}
    mixed = separation(torch.tensor([1.0, 3.0]), torch.tensor([2.0, 0.0]))  # pairs: 3 of 4 ordered right
    assert mixed["auroc"] == pytest.approx(0.75) and mixed["fpr_at_95_tpr"] == pytest.approx(0.5)


@pytest.mark.parametrize("decimals", [0, 1, 3])  # few decimals: many tied scores
def test_auroc_and_fpr_at_tpr_are_their_definitions_and_torchmetrics_figures(decimals: int) -> None:
    generator = torch.Generator().manual_seed(decimals)
    for n, m in ((1, 5), (40, 7), (250, 300)):
        positives = (torch.randn(n, generator=generator) + 1).round(decimals=decimals)
        negatives = torch.randn(m, generator=generator).round(decimals=decimals)
        gaps = positives[:, None] - negatives[None, :]
        pairs_in_order = float(((gaps > 0).double() + 0.5 * (gaps == 0).double()).mean())  # ties count half
        assert auroc(positives, negatives) == pytest.approx(pairs_in_order, abs=1e-12)
        scores, truth = torch.cat([positives, negatives]), torch.cat([torch.ones(n), torch.zeros(m)]).long()
        assert auroc(positives, negatives) == pytest.approx(float(binary_auroc(scores, truth)), abs=5e-4)  # float32
        fpr, tpr, _ = binary_roc(scores, truth)
        assert fpr_at_tpr(positives, negatives, 0.95) == pytest.approx(float(fpr[tpr >= 0.95][0]), abs=1e-6)


def test_the_report_counts_decisions_and_every_score() -> None:
    logits = torch.tensor([[5.0, 0.0], [1.0, 0.8], [0.0, 0.0]])  # sure, unsure, flat (not a digit)
    labels = torch.tensor([0, 1, 0])
    calibration = Calibration(temperature=1.0, not_a_digit_below=1.0, unsure_below=0.9)
    report = selective_report(logits, labels, calibration)
    assert report["decisions"] == {
        "digit": pytest.approx(1 / 3, abs=1e-6),
        "unsure": pytest.approx(1 / 3, abs=1e-6),
        "not_a_digit": pytest.approx(1 / 3, abs=1e-6),
        "errors_answered": 0,
    }
    assert set(report["aurc_by_score"]) == set(SCORES)
