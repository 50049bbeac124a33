"""The thresholds hold the validation digits to params' targets; inconsistent targets are one clear error; the
calibration is fitted on the test-time views the model answers with."""

import dataclasses
from pathlib import Path

import pytest
import torch

from digits.core.errors import PipelineError
from digits.core.params import load_params
from digits.data.splits import Normalization, Split
from digits.evaluation.calibration import fit_temperature
from digits.model.confidence import Calibration, decision_codes, view_logits
from digits.training.calibrate import calibrate, check_targets, thresholds

PARAMS_FILE = Path(__file__).resolve().parents[2] / "params.yaml"
NORM = Normalization(0.1307, 0.3081)


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


@pytest.mark.parametrize("degrees", [0.0, 16.0])
def test_the_calibration_is_fitted_on_the_views_it_answers_with_and_names_them(degrees: float) -> None:
    generator = torch.Generator().manual_seed(0)
    network = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10)).eval()
    images, labels = torch.randn(300, 1, 28, 28, generator=generator), torch.randint(0, 10, (300,), generator=generator)
    val = Split(images, labels, NORM)
    params = dataclasses.replace(load_params(PARAMS_FILE, "train"), tta_degrees=degrees)
    calibration = calibrate(network, val, params, torch.device("cpu"))
    assert calibration.tta_degrees == degrees
    with torch.no_grad():
        logits = view_logits(network, val.images, degrees, NORM.blank)
    assert calibration.temperature == pytest.approx(fit_temperature(logits, val.labels))
    expected = thresholds(logits / calibration.temperature, params.digit_recall, params.answer_coverage)
    assert (calibration.not_a_digit_below, calibration.unsure_below) == pytest.approx(expected, abs=1e-6)
