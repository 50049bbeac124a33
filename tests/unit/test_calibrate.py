"""The thresholds hold the validation digits to params' targets; inconsistent targets are one clear error."""

import dataclasses
from pathlib import Path

import pytest
import torch

from digits.core.errors import PipelineError
from digits.core.params import load_params
from digits.model.confidence import Calibration, decision_codes
from digits.training.calibrate import check_targets, thresholds

PARAMS_FILE = Path(__file__).resolve().parents[2] / "params.yaml"


@pytest.mark.parametrize(("recall", "coverage"), [(0.995, 0.99), (0.9, 0.8), (1.0, 1.0), (1.0, 0.5)])
def test_the_thresholds_meet_the_targets_on_the_data_they_come_from(recall: float, coverage: float) -> None:
    logits = torch.randn(2000, 10, generator=torch.Generator().manual_seed(0)) * 3
    not_a_digit_below, unsure_below = thresholds(logits, recall, coverage)
    codes = decision_codes(logits, Calibration(1.0, not_a_digit_below, unsure_below))
    assert (codes != 2).double().mean().item() == pytest.approx(recall, abs=1e-9)  # ties have probability 0 here
    assert (codes == 0).double().mean().item() == pytest.approx(coverage, abs=1e-9)


def test_answering_more_than_pass_is_refused() -> None:
    params = dataclasses.replace(load_params(PARAMS_FILE, "train"), digit_recall=0.9, answer_coverage=0.95)
    with pytest.raises(PipelineError, match=r"train.answer_coverage: 0.95 is above train.digit_recall \(0.9\)"):
        check_targets(params)
