"""The decision rule at and around its thresholds, and the calibrated model's logits."""

import pytest
import torch

from digits.model.confidence import DECISIONS, Calibrated, Calibration, decide, digitness, sureness

CALIBRATION = Calibration(temperature=1.0, not_a_digit_below=2.0, unsure_below=1.5)


def two_class_logits(digit: float, sure: float) -> torch.Tensor:
    """(1, 2) logits whose digitness is `digit` and whose margin log(p1 / p2) is `sure` (> 0)."""
    gap = torch.tensor(sure, dtype=torch.float64)
    low = digit - torch.log1p(gap.exp())  # logsumexp(low, low + gap) = digit
    return torch.stack([low + gap, low])[None].float()


@pytest.mark.parametrize(
    ("digit", "sure", "expected"),
    [
        (2.0, 1.5, "digit"),  # at both thresholds: answered
        (2.5, 4.0, "digit"),
        (2.5, 1.49, "unsure"),
        (1.99, 4.0, "not_a_digit"),  # just under the digitness threshold, however sure
        (1.99, 0.2, "not_a_digit"),  # both low: not a digit takes precedence
    ],
)
def test_the_decision_at_and_around_the_thresholds(digit: float, sure: float, expected: str) -> None:
    logits = two_class_logits(digit, sure)
    assert digitness(logits).item() == pytest.approx(digit, abs=1e-5)
    assert sureness(logits).item() == pytest.approx(sure, abs=1e-5)
    assert decide(logits, CALIBRATION) == [expected]


def test_sureness_is_the_log_ratio_of_the_two_likeliest() -> None:
    probabilities = torch.tensor([[0.6, 0.3, 0.1]])
    assert sureness(probabilities.log()).item() == pytest.approx(torch.log(torch.tensor(2.0)).item())


def test_every_decision_is_named() -> None:
    assert DECISIONS == ("digit", "unsure", "not_a_digit")


def test_the_calibrated_model_divides_the_logits_and_keeps_the_argmax() -> None:
    network = torch.nn.Linear(4, 10)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    calibrated = Calibrated(network, temperature=0.5)
    assert torch.allclose(calibrated(x), network(x) * 2)
    assert torch.equal(calibrated(x).argmax(1), network(x).argmax(1))
