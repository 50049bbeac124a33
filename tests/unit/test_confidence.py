"""The decision rule at and around its thresholds, and the calibrated model's logits."""

import pytest
import torch

from digits.data.splits import Normalization
from digits.model.confidence import (
    DECISIONS,
    Calibrated,
    Calibration,
    decide,
    digitness,
    rotated,
    sureness,
    view_logits,
)

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
    calibrated = Calibrated(network, Calibration(0.5, 0.0, 0.0), Normalization(0.0, 1.0))
    assert torch.allclose(calibrated(x), network(x) * 2)
    assert torch.equal(calibrated(x).argmax(1), network(x).argmax(1))


def bar(fill: float, ink: float) -> torch.Tensor:
    """(1, 1, 28, 28): a vertical bar, 2 px wide and 16 px tall, on blank paper."""
    image = torch.full((1, 1, 28, 28), fill)
    image[..., 6:22, 13:15] = ink
    return image


def test_a_quarter_turn_makes_a_vertical_bar_horizontal_and_leaves_blank_paper_blank() -> None:
    fill = -0.4242  # MNIST's blank pixel, normalized
    turned = rotated(bar(fill, 2.8), 90.0, fill)
    ink = turned[0, 0] > 0
    rows, cols = ink.nonzero().T
    assert rows.max() - rows.min() <= 2 and cols.max() - cols.min() >= 14  # now 2 tall and 16 wide
    assert torch.allclose(rotated(torch.full((2, 1, 28, 28), fill), 16.0, fill), torch.full((2, 1, 28, 28), fill))
    assert torch.allclose(rotated(bar(fill, 2.8), 0.0, fill), bar(fill, 2.8), atol=1e-6)


def test_the_views_average_the_logits_of_the_picture_and_of_it_turned_either_way() -> None:
    network = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    x = torch.randn(5, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    assert torch.equal(view_logits(network, x, 0.0, -0.4), network(x))
    by_hand = (network(x) + network(rotated(x, 16.0, -0.4)) + network(rotated(x, -16.0, -0.4))) / 3
    assert torch.allclose(view_logits(network, x, 16.0, -0.4), by_hand, atol=1e-5)
    assert not torch.allclose(by_hand, network(x), atol=1e-3)  # the turned views count
    calibrated = Calibrated(network, Calibration(2.0, 0.0, 0.0, tta_degrees=16.0), Normalization(0.4, 1.0))  # fill -0.4
    assert torch.allclose(calibrated(x), by_hand / 2, atol=1e-5)
