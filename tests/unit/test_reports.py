"""Confusion rows, the choice of worst errors, the error and variant grid PNGs, the summary line."""

from pathlib import Path

import pytest
import torch

from digits.data.splits import Normalization
from digits.evaluation.figures import error_grid, save_png, variant_grid
from digits.evaluation.reports import confident_errors, confusion_rows, summary_line, to_pixels


def test_confusion_rows() -> None:
    rows = confusion_rows(torch.tensor([3, 1]), torch.tensor([3, 7]))
    assert rows == [{"actual": 3, "predicted": 3}, {"actual": 7, "predicted": 1}]


def test_confident_errors_most_confident_first() -> None:
    probabilities = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.99, 0.01]])
    labels = torch.tensor([0, 0, 1, 0, 1])  # wrong: 1 (0.8), 2 (0.6), 3 (0.7), 4 (0.99)
    assert confident_errors(probabilities, labels, limit=3).tolist() == [4, 1, 3]
    assert confident_errors(probabilities, labels, limit=0).tolist() == []


def test_to_pixels_undoes_normalization() -> None:
    norm = Normalization(0.5, 0.25)
    normalized = (torch.tensor([[[[0.0, 1.0]]]]) - 0.5) / 0.25
    assert torch.allclose(to_pixels(normalized, norm), torch.tensor([[[0.0, 1.0]]]))


@pytest.mark.parametrize("count", [0, 1, 7])
def test_error_grid_png_is_deterministic(tmp_path: Path, count: int) -> None:
    pixels = torch.rand(count, 28, 28, generator=torch.Generator().manual_seed(0))
    for name in ("a.png", "b.png"):
        save_png(error_grid(pixels, [1] * count, [7] * count, [0.9] * count), tmp_path / name)
    data = (tmp_path / "a.png").read_bytes()
    assert data.startswith(b"\x89PNG") and data == (tmp_path / "b.png").read_bytes()


def test_variant_grid_tiles_each_row_of_digits_and_names_it(tmp_path: Path) -> None:
    digits = torch.rand(5, 28, 28, generator=torch.Generator().manual_seed(0))
    rows = {"plain": digits[:3], "thin strokes": digits[3:]}
    figure = variant_grid(rows)
    (ax,) = figure.axes  # one Axes for every digit
    mosaic = ax.get_images()[0].get_array()
    assert mosaic.shape == (2 * 28 + 4, 3 * 28 + 2 * 4)  # 4 px of white between digits
    assert torch.equal(torch.from_numpy(mosaic.data[32:60, 32:60]), rows["thin strokes"][1])
    assert [label.get_text() for label in ax.get_yticklabels()] == ["plain", "thin strokes"]
    for name in ("a.png", "b.png"):
        save_png(variant_grid(rows), tmp_path / name)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_summary_line() -> None:
    metrics = {"accuracy": 0.9969, "loss": 0.106759, "ece": 0.093474}
    assert summary_line(metrics, 31, 10_000) == "test accuracy 99.69% (31 errors of 10,000), NLL 0.1068, ECE 0.0935"
