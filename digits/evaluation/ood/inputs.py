"""The `ood` stage's pictures, made once: they depend on MNIST's test split and `ood.seed`, never on the model.

Turning the UCI digits, MNIST's test digits and the generated non-digits into model inputs through the
picture path (digits.data.imageprep, as `digits predict` reads a file) takes most of an `ood` run. The
`ood_inputs` stage does it and saves the result (data/ood_inputs.pt); `ood` then only runs the model, so a
new model (a loop turn, an experiment) is scored in seconds.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from digits.core.atomic import atomic_file, save_record
from digits.core.errors import PipelineError
from digits.data.splits import Split, safe_torch_load
from digits.evaluation.ood.rejection import as_pictures, non_digit_pixels, split_pixels
from digits.evaluation.ood.uci import UPSCALINGS, uci_inputs

FORMAT = "digits.ood_inputs.v1"


@dataclass(frozen=True)
class OodInputs:
    uci: dict[str, torch.Tensor]  # upscaling (UPSCALINGS' order) -> (1797, 1, 28, 28) float32 model inputs
    uci_labels: torch.Tensor  # (1797,) int64
    mnist_pictures: torch.Tensor  # (N, 1, 28, 28) float32: the test digits through the picture path
    non_digits: dict[str, tuple[np.ndarray, int]]  # kind -> (n, 28, 28) uint8 pictures, how many were refused


def build_ood_inputs(test: Split, seed: int) -> OodInputs:
    pixels = split_pixels(test)  # (N, 28, 28) uint8
    uci = {name: uci_inputs(test.norm, name) for name in UPSCALINGS}
    labels = next(iter(uci.values()))[1]
    return OodInputs(
        {name: images for name, (images, _) in uci.items()},
        labels,
        as_pictures(pixels, test.norm),
        non_digit_pixels(seed, pixels),  # two digits side by side: from these
    )


def save_ood_inputs(inputs: OodInputs, path: Path) -> None:
    record = {
        "format": FORMAT,
        "uci": inputs.uci,
        "uci_labels": inputs.uci_labels,
        "mnist_pictures": inputs.mnist_pictures,
        "non_digits": {k: {"pixels": torch.from_numpy(p), "refused": n} for k, (p, n) in inputs.non_digits.items()},
    }
    with atomic_file(path) as tmp:
        save_record(record, tmp)


def load_ood_inputs(path: Path) -> OodInputs:
    record = safe_torch_load(path, "file of the ood stage's pictures (run `dvc repro ood_inputs`)")
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise PipelineError(f"{path}: not the ood stage's pictures ({FORMAT}); run `dvc repro ood_inputs`")
    kinds = {k: (v["pixels"].numpy(), int(v["refused"])) for k, v in record["non_digits"].items()}
    return OodInputs(record["uci"], record["uci_labels"], record["mnist_pictures"], kinds)
