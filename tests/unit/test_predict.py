"""`digits predict`: output formats, folders, and one error line per bad file with exit status 1."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import digits.data.pictures
from digits.cli import main
from digits.core.params import load_params
from digits.data.splits import Normalization
from digits.model.checkpoint import save_checkpoint
from digits.model.confidence import UNCALIBRATED
from digits.model.networks import build_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained MLP: its guesses are arbitrary, but the output format is the same as a real model's (every
    answer a digit: uncalibrated)."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("model") / "model.pt"
    model = build_model("mlp", {"hidden": [16]})
    save_checkpoint(path, model, "mlp", {"hidden": [16]}, Normalization(0.1307, 0.3081), params(), 1, UNCALIBRATED)
    return path


def params() -> object:
    return load_params(ROOT / "params.yaml", "train")


def digit_png(path: Path, size: int = 60) -> Path:
    """A black bar (a '1', more or less) on white paper, in the format the extension names."""
    gray = np.full((size, size), 255, dtype=np.uint8)
    gray[size // 5 : -size // 5, size // 2 - 3 : size // 2 + 3] = 0
    Image.fromarray(gray).save(path)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `digits ARGS...` in-process: (exit status, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_one_line_per_image(tmp_path: Path, model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = digit_png(tmp_path / "a.png"), digit_png(tmp_path / "b.png", 100)
    code, out, err = run(capsys, "predict", "--model", str(model_file), str(a), str(b))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split(": ")[0] for line in lines] == [str(a), str(b)]
    assert all(line.split(": ")[1][0].isdigit() and line.endswith("%)") for line in lines)


def test_top_k_and_json(tmp_path: Path, model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = digit_png(tmp_path / "one.png")
    code, out, _ = run(capsys, "predict", "--model", str(model_file), "--top-k", "3", str(image))
    assert code == 0 and out.count("%)") == 3
    code, out, _ = run(capsys, "predict", "--model", str(model_file), "--json", "--top-k", "10", str(image))
    assert code == 0
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert set(record) == {"path", "decision", "digit", "probability", "top"} and record["decision"] == "digit"
    assert record["path"] == str(image)
    probs = [entry["probability"] for entry in record["top"]]
    assert sorted(entry["digit"] for entry in record["top"]) == list(range(10))
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1, abs=1e-4)
    assert (record["digit"], record["probability"]) == (record["top"][0]["digit"], probs[0])


@pytest.mark.parametrize("k", ["0", "11", "two"])
def test_bad_top_k_is_a_usage_error(model_file: Path, k: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "predict", "--model", str(model_file), "--top-k", k, "x.png")
    assert code == 2 and "--top-k: must be a whole number from 1 to 10" in err


def test_folder_is_read_in_name_order_skipping_other_files(
    tmp_path: Path, model_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("b.png", "a.JPG", "c.bmp"):
        digit_png(tmp_path / name)  # Pillow picks the format from the extension
    (tmp_path / "notes.txt").write_text("not a digit")
    (tmp_path / "sub").mkdir()
    digit_png(tmp_path / "sub" / "deeper.png")  # folders are not read recursively
    code, out, err = run(capsys, "predict", "--model", str(model_file), "--json", str(tmp_path))
    assert (code, err) == (0, "")
    assert [Path(json.loads(line)["path"]).name for line in out.splitlines()] == ["a.JPG", "b.png", "c.bmp"]


def bad_inputs(folder: Path) -> dict[str, str]:
    """Bad files, each with the message expected for it."""
    (folder / "text.png").write_text("hello")
    (folder / "empty.png").write_bytes(b"")
    Image.new("L", (50, 50), 255).save(folder / "blank.png")
    Image.new("L", (120, 100)).save(folder / "huge.png")  # over the limit the test sets
    (folder / "empty_folder").mkdir()
    return {
        "missing.png": "file not found",
        "text.png": "not an image (or a format Pillow cannot read)",
        "empty.png": "empty file",
        "blank.png": "no ink found: the image is blank (contrast 0 of 255)",
        "huge.png": "image is 120x100, over the limit of 0.01 megapixels",
        "empty_folder": "no image files in this folder",
    }


def test_each_bad_file_gets_one_error_line_and_the_rest_are_classified(
    tmp_path: Path, model_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digits.data.pictures, "MAX_PIXELS", 100 * 100)
    expected = bad_inputs(tmp_path)
    good = digit_png(tmp_path / "good.png")
    paths = [str(tmp_path / name) for name in expected]
    code, out, err = run(capsys, "predict", "--model", str(model_file), *paths, str(good))
    assert code == 1
    assert err.splitlines() == [f"digits: error: {tmp_path / name}: {why}" for name, why in expected.items()]
    assert out.startswith(f"{good}: ") and len(out.splitlines()) == 1
    code, out, _ = run(capsys, "predict", "--model", str(model_file), "--json", *paths, str(good))
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [r.get("error") for r in records] == [*expected.values(), None]


def test_missing_or_foreign_model_says_to_run_dvc_repro(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = digit_png(tmp_path / "one.png")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    for model in (tmp_path / "missing.pt", tmp_path / "foreign.pt"):
        code, out, err = run(capsys, "predict", "--model", str(model), str(image))
        assert (code, out) == (1, "")
        assert len(err.splitlines()) == 1 and err.startswith(f"digits: error: {model}: ") and "dvc repro" in err
