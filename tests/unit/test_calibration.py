"""The temperature fit, ECE, NLL, Brier and the reliability rows, on tiny hand-made and synthetic cases."""

import pytest
import torch
from torchmetrics.functional.classification import multiclass_calibration_error

from digits.evaluation.calibration import brier, calibration_metrics, ece, fit_temperature, reliability_rows


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_the_fit_recovers_a_known_temperature(true_temperature: float) -> None:
    # labels drawn from softmax(z / T): the NLL of logits z is least at T
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(20_000, 10, generator=generator) * 4
    labels = torch.multinomial((logits / true_temperature).softmax(1), 1, generator=generator)[:, 0]
    assert fit_temperature(logits, labels) == pytest.approx(true_temperature, rel=0.05)


def test_the_fit_leaves_the_argmax_alone() -> None:
    logits = torch.randn(500, 10, generator=torch.Generator().manual_seed(1))
    temperature = fit_temperature(logits, logits.argmax(1).roll(1))
    assert torch.equal((logits / temperature).argmax(1), logits.argmax(1))


def logits_of(probabilities: list[list[float]]) -> torch.Tensor:
    return torch.tensor(probabilities).log()


def test_ece_and_the_rows_on_a_hand_made_case() -> None:
    # two images at 0.95 confidence (one right), two at 0.55 (both right)
    logits = logits_of([[0.95, 0.05], [0.95, 0.05], [0.45, 0.55], [0.45, 0.55]])
    labels = torch.tensor([0, 1, 1, 1])
    assert ece(logits, labels, bins=10) == pytest.approx(0.5 * 0.45 + 0.5 * 0.45, abs=1e-6)
    rows = reliability_rows(logits, labels, bins=10)
    assert [(r["bin"], r["lower"], r["upper"], r["accuracy"], r["images"]) for r in rows] == [
        (5, 0.5, 0.6, 1.0, 2),
        (9, 0.9, 1.0, 0.5, 2),
    ]
    assert [r["confidence"] for r in rows] == pytest.approx([0.55, 0.95], abs=1e-6)


def test_the_rows_weigh_up_to_the_ece() -> None:
    generator = torch.Generator().manual_seed(2)
    logits, labels = torch.randn(3000, 10, generator=generator) * 3, torch.randint(10, (3000,), generator=generator)
    rows = reliability_rows(logits, labels, bins=15)
    from_rows = sum(r["images"] * abs(r["accuracy"] - r["confidence"]) for r in rows) / len(labels)
    assert ece(logits, labels, bins=15) == pytest.approx(from_rows, abs=1e-4)
    assert sum(r["images"] for r in rows) == len(labels)


def test_a_sure_and_right_model_scores_zero() -> None:
    logits = torch.tensor([[20.0, 0.0], [0.0, 20.0]])
    labels = torch.tensor([0, 1])
    assert calibration_metrics(logits, labels, bins=15) == pytest.approx(
        {"ece": 0.0, "nll": 0.0, "brier": 0.0}, abs=1e-6
    )


def test_brier_of_a_hand_made_case() -> None:
    # (0.8 - 1)^2 + 0.2^2 = 0.08 for the right one; 0.8^2 + (0.2 - 1)^2 = 1.28 for the wrong one
    assert brier(logits_of([[0.8, 0.2], [0.8, 0.2]]), torch.tensor([0, 1])) == pytest.approx((0.08 + 1.28) / 2)


def test_ece_is_torchmetrics_multiclass_calibration_error() -> None:
    """The reference implementation agrees (float32 there) on logits from flat to sharp."""
    generator = torch.Generator().manual_seed(3)
    for sharpness in (0.5, 2.0, 6.0):
        logits = torch.randn(2000, 10, generator=generator) * sharpness
        labels = torch.randint(10, (2000,), generator=generator)
        reference = multiclass_calibration_error(logits.softmax(1), labels, 10, n_bins=15, norm="l1")
        assert ece(logits, labels, bins=15) == pytest.approx(float(reference), abs=1e-6)
