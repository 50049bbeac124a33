"""A model whose answers on three pictures are set by hand, one per decision, for the tests of what each
surface says: a scan of a 7 (a digit), a blob between a 4 and a 9 (unsure) and a letter A (not a digit).

It is the real code path: an MLP without hidden layers (one linear layer, 784 -> 10) in a checkpoint with a
calibration, loaded, divided by the temperature, decided by the thresholds. Its weights are the least-norm
solution that gives exactly RAW_LOGITS on the three pictures as `digits predict` and `digits serve` see them.
"""

from pathlib import Path

import torch
from PIL import Image, ImageDraw

from digits.core.params import load_params
from digits.data.imageprep import prepare_image
from digits.data.splits import Normalization
from digits.model.checkpoint import save_checkpoint
from digits.model.confidence import Calibration
from digits.model.networks import build_model
from tests.serve_support import encode

ROOT = Path(__file__).resolve().parents[1]
NORM = Normalization(0.1307, 0.3081)
CALIBRATION = Calibration(temperature=2.0, not_a_digit_below=5.0, unsure_below=0.9)  # a margin log(p1 / p2) of 0.9
# Calibrated logits (raw / 2) on each picture: the 7 is sure (99.2%); the blob is 4 (58%) or 9 (40%) with a
# margin of 0.37 < 0.9 and a digitness (logsumexp) of 6.0 > 5; the letter's logits are all low: a digitness of
# log(e + 9) = 2.5 < 5 (its likeliest digit, a 4 at 23%, is never named).
CALIBRATED = {
    "digit": [0.0] * 7 + [7.0] + [0.0] * 2,
    "unsure": [0.0] * 4 + [5.446] + [0.0] * 4 + [5.075],
    "not_a_digit": [0.0] * 4 + [1.0] + [0.0] * 5,
}
RAW_LOGITS = {decision: [CALIBRATION.temperature * v for v in row] for decision, row in CALIBRATED.items()}
NAMES = {"digit": "scan.png", "unsure": "blob.png", "not_a_digit": "letter.png"}
EXPECTED_TEXT = {  # what `digits predict` prints for each (after "path: ")
    "digit": "7 (99.2%)",
    "unsure": "not sure: 4 (58.0%) or 9 (40.0%)",
    "not_a_digit": "not a digit",
}


def blob_png() -> bytes:
    """A closed loop on a stem whose top is nearly open: a 9, or a 4."""
    page = Image.new("L", (100, 100), 255)
    draw = ImageDraw.Draw(page)
    draw.arc([28, 12, 68, 50], 140, 400, fill=0, width=7)
    draw.line([(66, 30), (62, 90)], fill=0, width=7)
    return encode(page)


def letter_png() -> bytes:
    """A capital A: two slanted strokes and a bar."""
    page = Image.new("L", (100, 100), 255)
    draw = ImageDraw.Draw(page)
    draw.line([(20, 90), (50, 10), (80, 90)], fill=0, width=7, joint="curve")
    draw.line([(32, 60), (68, 60)], fill=0, width=7)
    return encode(page)


def decision_pictures() -> dict[str, bytes]:
    """Decision -> the PNG or JPEG bytes the model answers it for."""
    scan = (ROOT / "examples" / "scan.png").read_bytes()
    return {"digit": scan, "unsure": blob_png(), "not_a_digit": letter_png()}


def write_pictures(folder: Path) -> dict[str, Path]:
    """The three pictures as files in `folder`, named as NAMES says: decision -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {decision: folder / NAMES[decision] for decision in NAMES}
    for decision, data in decision_pictures().items():
        paths[decision].write_bytes(data)
    return paths


def decisive_model(path: Path) -> Path:
    """Save the hand-set model at `path` and return it."""
    pictures = decision_pictures()
    inputs = torch.stack([prepare_image(pictures[d], NORM).flatten() for d in NAMES]).double()  # (3, 784)
    wanted = torch.tensor([RAW_LOGITS[d] for d in NAMES], dtype=torch.float64)  # (3, 10)
    model = build_model("mlp", {"hidden": []})
    with torch.no_grad():  # inputs @ weight.T = wanted, the weight of least norm
        model[1].weight.copy_((torch.linalg.pinv(inputs) @ wanted).T.float())  # (10, 784)
        model[1].bias.zero_()
    params = load_params(ROOT / "params.yaml", "train")
    save_checkpoint(path, model, "mlp", {"hidden": []}, NORM, params, 1, CALIBRATION)
    return path
