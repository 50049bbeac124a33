"""The ood stage's pictures, saved once and read back by every ood run."""

from pathlib import Path

import numpy as np
import pytest
import torch

from digits.core.errors import PipelineError
from digits.evaluation.ood.inputs import OodInputs, load_ood_inputs, save_ood_inputs


def test_the_pictures_read_back_as_they_were_saved(tmp_path: Path) -> None:
    kinds = {
        "scribbles": (np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28), 1),
        "noise": (np.zeros((0, 28, 28), np.uint8), 0),
    }
    inputs = OodInputs(
        {"bicubic_8x": torch.randn(3, 1, 28, 28)}, torch.tensor([1, 2, 3]), torch.randn(4, 1, 28, 28), kinds
    )
    save_ood_inputs(inputs, tmp_path / "inputs.pt")
    back = load_ood_inputs(tmp_path / "inputs.pt")
    assert torch.equal(back.uci["bicubic_8x"], inputs.uci["bicubic_8x"]) and torch.equal(
        back.uci_labels, inputs.uci_labels
    )
    assert torch.equal(back.mnist_pictures, inputs.mnist_pictures)
    assert list(back.non_digits) == ["scribbles", "noise"] and back.non_digits["scribbles"][1] == 1
    assert np.array_equal(back.non_digits["scribbles"][0], kinds["scribbles"][0])


def test_another_file_is_one_line_naming_the_stage_to_run(tmp_path: Path) -> None:
    torch.save({"format": "something else"}, tmp_path / "inputs.pt")
    with pytest.raises(PipelineError, match=r"inputs.pt: not the ood stage's pictures .*run `dvc repro ood_inputs`"):
        load_ood_inputs(tmp_path / "inputs.pt")
