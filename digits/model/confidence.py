"""How sure an answer is, and the one decision every consumer gives: `digit`, `unsure` or `not_a_digit`.

A trained network's logits are divided by one temperature, fitted after training on the validation
split (Guo et al., 2017), so that the softmax means what it says; the argmax, and so the accuracy, does
not change. Two scores of those calibrated logits make the decision (digits/evaluation/selective.py
measures both, and the alternatives, on every run):

- digitness: the logsumexp of the logits, minus the energy score (Liu et al., 2020). A picture that is
  no digit gets low logits for every class: outlier exposure in training pulls them to uniform.
- sureness: the margin between the two likeliest calibrated logits, log(p1 / p2) in nats. An ambiguous 4/9
  keeps two high logits: a digit, but not a sure one. Of the scores evaluate measures (the top probability,
  the top logit, the margin, the energy), the margin ranks the errors last (docs/trust.md), as LeCun et al.
  (1998) used it to reject; unlike the top probability it never saturates at 1.0.

The thresholds are quantiles of the validation split's scores for the targets in params.yaml, chosen by
digits/training/calibrate.py and stored in the checkpoint beside the temperature.
"""

from dataclasses import dataclass

import torch
from torch import nn

DECISIONS = ("digit", "unsure", "not_a_digit")


@dataclass(frozen=True)
class Calibration:
    temperature: float  # logits are divided by it (> 0; < 1 sharpens)
    not_a_digit_below: float  # digitness under this: not a digit
    unsure_below: float  # otherwise, sureness (log(p1 / p2), nats) under this: unsure


UNCALIBRATED = Calibration(temperature=1.0, not_a_digit_below=float("-inf"), unsure_below=0.0)


class Calibrated(nn.Module):
    """A network whose logits come out divided by the calibration's temperature: every consumer of a
    checkpoint (evaluate, ood, predict, serve) reads calibrated probabilities without knowing it."""

    def __init__(self, network: nn.Module, temperature: float) -> None:
        super().__init__()
        assert temperature > 0, "a temperature is positive"
        self.network = network
        self.temperature = temperature

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x) / self.temperature


def digitness(logits: torch.Tensor) -> torch.Tensor:
    """(N, 10) calibrated logits -> (N,): high for digits, low for pictures that are none."""
    return torch.logsumexp(logits.float(), dim=1)


def sureness(logits: torch.Tensor) -> torch.Tensor:
    """(N, 10) calibrated logits -> (N,) log(p1 / p2) >= 0, the likeliest digit against the runner-up."""
    top = logits.float().topk(2, dim=1).values
    return top[:, 0] - top[:, 1]


def decision_codes(logits: torch.Tensor, calibration: Calibration) -> torch.Tensor:
    """(N, 10) calibrated logits -> (N,) int64 index into DECISIONS. Not a digit takes precedence:
    a scribble is also an unsure answer, but "unsure" would ask a person which digit it is."""
    codes = torch.zeros(len(logits), dtype=torch.int64)
    codes[sureness(logits) < calibration.unsure_below] = DECISIONS.index("unsure")
    codes[digitness(logits) < calibration.not_a_digit_below] = DECISIONS.index("not_a_digit")
    return codes


def decide(logits: torch.Tensor, calibration: Calibration) -> list[str]:
    """(N, 10) calibrated logits -> N decisions, each one of DECISIONS."""
    return [DECISIONS[code] for code in decision_codes(logits, calibration).tolist()]
