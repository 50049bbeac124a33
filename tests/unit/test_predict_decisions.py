"""`digits predict` says each answer's decision, in text and in JSON: a digit, not sure (its two likeliest
digits), not a digit; all three are answers, with exit status 0. On tests/decisive_model.py's pictures."""

import json
from pathlib import Path

import pytest

from tests.decisive_model import EXPECTED_TEXT, decisive_model, write_pictures
from tests.unit.test_predict import run


@pytest.fixture(scope="module")
def decisive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """The hand-set model's file, and its three pictures: decision -> path."""
    folder = tmp_path_factory.mktemp("decisions")
    return decisive_model(folder / "model.pt"), write_pictures(folder / "pictures")


def test_text_says_each_decision(decisive: tuple[Path, dict[str, Path]], capsys: pytest.CaptureFixture[str]) -> None:
    model, paths = decisive
    code, out, err = run(capsys, "predict", "--model", str(model), *map(str, paths.values()))
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"{path}: {EXPECTED_TEXT[decision]}" for decision, path in paths.items()]


def test_top_k_adds_runners_up_to_answers_that_name_digits(
    decisive: tuple[Path, dict[str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    model, paths = decisive
    code, out, _ = run(capsys, "predict", "--model", str(model), "--top-k", "3", *map(str, paths.values()))
    digit, unsure, not_a_digit = (line.split(": ", 1)[1] for line in out.splitlines())
    assert code == 0
    assert digit.startswith("7 (99.2%)  ") and digit.count("%)") == 3  # the digit, then two runners-up
    assert unsure.startswith("not sure: 4 (58.0%) or 9 (40.0%)  ") and unsure.count("%)") == 3  # then the third
    assert not_a_digit == "not a digit"  # names no digit, however many are asked for
    code, out, _ = run(capsys, "predict", "--model", str(model), "--top-k", "1", str(paths["unsure"]))
    assert out == f"{paths['unsure']}: not sure: 4 (58.0%) or 9 (40.0%)\n"  # an unsure answer always names two


def test_json_adds_the_decision(decisive: tuple[Path, dict[str, Path]], capsys: pytest.CaptureFixture[str]) -> None:
    model, paths = decisive
    code, out, err = run(capsys, "predict", "--model", str(model), "--json", *map(str, paths.values()))
    records = [json.loads(line) for line in out.splitlines()]
    assert (code, err) == (0, "")
    assert [r["decision"] for r in records] == ["digit", "unsure", "not_a_digit"]
    assert all(list(r) == ["path", "decision", "digit", "probability", "top"] for r in records)
    digit, unsure, _ = records
    assert (digit["path"], digit["digit"], digit["probability"]) == (
        str(paths["digit"]),
        7,
        pytest.approx(0.9919, 1e-4),
    )
    assert unsure["top"] == [{"digit": 4, "probability": pytest.approx(0.5799, abs=1e-4)}]
