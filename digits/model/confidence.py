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

The logits themselves may be those of three views of the picture (test-time augmentation): the picture and it
turned by +- `tta_degrees`, their logits averaged. A digit that reads differently when turned a little is one to
doubt; the views reorder the answers, where the temperature keeps their order. Off by default (train.tta_degrees:
three forward passes per answer); docs/trust.md has what they gain and cost.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from digits.data.splits import Normalization

DECISIONS = ("digit", "unsure", "not_a_digit")


@dataclass(frozen=True)
class Calibration:
    temperature: float  # logits are divided by it (> 0; < 1 sharpens)
    not_a_digit_below: float  # digitness under this: not a digit
    unsure_below: float  # otherwise, sureness (log(p1 / p2), nats) under this: unsure
    tta_degrees: float = 0.0  # the views answered from: the picture and it turned by +- this (0: the picture alone)


UNCALIBRATED = Calibration(temperature=1.0, not_a_digit_below=float("-inf"), unsure_below=0.0)


def rotated(images: torch.Tensor, degrees: float, fill: float) -> torch.Tensor:
    """(N, C, H, W) turned by `degrees` about the centre (bilinear); pixels from outside the image get `fill`.
    torchvision's rotate does the same, but importing torchvision would cost every `digits predict` and server
    worker about 1.5 s."""
    turn = math.radians(degrees)
    cos, sin = math.cos(turn), math.sin(turn)
    theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]], dtype=images.dtype, device=images.device)
    grid = F.affine_grid(theta.expand(len(images), 2, 3), list(images.shape), align_corners=False)
    return F.grid_sample(images - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill


def view_logits(network: nn.Module, images: torch.Tensor, degrees: float, fill: float) -> torch.Tensor:
    """(N, 1, 28, 28) -> (N, 10): the network's logits, averaged over the picture and it turned by +- degrees
    (one forward pass of 3N images) when degrees > 0."""
    if not degrees:
        return network(images)
    views = torch.cat([images, rotated(images, degrees, fill), rotated(images, -degrees, fill)])
    return network(views).unflatten(0, (3, len(images))).mean(0)


class Calibrated(nn.Module):
    """A network answering as its calibration says: logits of the test-time views, averaged, divided by the
    temperature. Every consumer of a checkpoint (evaluate, ood, predict, serve) reads them without knowing it;
    `network` is the trained network itself (what adapt fine-tunes)."""

    def __init__(self, network: nn.Module, calibration: Calibration, norm: Normalization) -> None:
        super().__init__()
        assert calibration.temperature > 0, "a temperature is positive"
        self.network = network
        self.temperature = calibration.temperature
        self.tta_degrees = calibration.tta_degrees
        self.fill = norm.blank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return view_logits(self.network, x, self.tta_degrees, self.fill) / self.temperature


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
