"""After training: fit the temperature and the decision thresholds on the validation split.

Never on the test set, which stays the judge (evaluate). The thresholds hold the validation digits to
the targets in params.yaml: `digit_recall` of them pass the not-a-digit test, `answer_coverage` of them
are answered as digits; digits/model/confidence.py applies them.
"""

import math
from dataclasses import replace

import torch
from torch import nn

from digits.core.errors import PipelineError
from digits.core.params import TrainParams
from digits.data.splits import Split
from digits.evaluation.calibration import fit_temperature
from digits.model.confidence import UNCALIBRATED, Calibrated, Calibration, digitness, sureness
from digits.model.networks import predict_logits


def check_targets(params: TrainParams) -> None:
    """Answering a share of digits needs at least that share to pass the not-a-digit test."""
    if params.answer_coverage > params.digit_recall:
        raise PipelineError(
            f"train.answer_coverage: {params.answer_coverage} is above train.digit_recall ({params.digit_recall}); "
            "the digits answered are among those that pass the not-a-digit test"
        )


def thresholds(logits: torch.Tensor, digit_recall: float, answer_coverage: float) -> tuple[float, float]:
    """(not_a_digit_below, unsure_below) for (N, 10) calibrated logits of digits: the floor((1 -
    digit_recall) N) least digit-like fall below the first; of the rest, the ceil(answer_coverage N)
    surest are at or above the second."""
    n = len(logits)
    digit = digitness(logits)
    flagged = math.floor((1 - digit_recall) * n + 1e-9)
    not_a_digit_below = float(digit.sort().values[flagged]) if flagged < n else math.inf
    passing = sureness(logits)[digit >= not_a_digit_below].sort(descending=True).values
    answered = math.ceil(answer_coverage * n - 1e-9)
    unsure_below = float(passing[answered - 1]) if answered else 0.0
    return not_a_digit_below, unsure_below


def calibrate(model: nn.Module, val: Split, params: TrainParams, device: torch.device) -> Calibration:
    """The temperature that minimises the validation NLL of the logits the model will answer with (those of
    params.tta_degrees' views), then the thresholds for params' targets."""
    views = Calibrated(model, replace(UNCALIBRATED, tta_degrees=params.tta_degrees), val.norm)
    logits = predict_logits(views, val.images, params.batch_size * 8, device)  # (N, 10) on the CPU
    temperature = fit_temperature(logits, val.labels)
    not_a_digit_below, unsure_below = thresholds(logits / temperature, params.digit_recall, params.answer_coverage)
    return Calibration(temperature, round(not_a_digit_below, 6), round(unsure_below, 6), params.tta_degrees)
