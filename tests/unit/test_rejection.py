"""The ood stage's non-digit report and MNIST's test digits back as pictures, on tiny hand-made data."""

import numpy as np
import torch

from digits.data.splits import Normalization, make_split
from digits.evaluation.ood.rejection import TWINS, as_pictures, non_digit_report, split_pixels
from digits.model.networks import build_model
from tests.support import synthetic_digits

NORM = Normalization(0.1307, 0.3081)
CPU = torch.device("cpu")


def test_the_test_split_comes_back_as_its_bytes_and_reads_as_pictures() -> None:
    images, labels = synthetic_digits(20, 0)
    split = make_split(images, labels, NORM)
    pixels = split_pixels(split)
    assert pixels.dtype == np.uint8 and np.array_equal(pixels, images)
    inputs = as_pictures(pixels, NORM)  # re-cropped and re-centred as a user's file: close to, not equal to
    assert inputs.shape == (20, 1, 28, 28) and inputs.dtype == torch.float32


def test_the_report_has_every_kind_and_the_worst_leaves_the_twins_out() -> None:
    torch.manual_seed(0)
    model = build_model("cnn", {"channels": [4, 8, 8, 8]}).eval()
    digit_logits = torch.randn(50, 10) * 4  # digits with high logsumexp...
    rng = np.random.default_rng(0)
    kinds = {
        kind: (rng.integers(0, 255, (30, 28, 28), dtype=np.uint8), refused)
        for kind, refused in [("letters", 0), (TWINS, 2), ("noise", 1)]
    }
    metrics, rows = non_digit_report(model, digit_logits + 20, kinds, NORM, 16, CPU)  # ...far above the others
    assert [row["kind"] for row in rows] == ["letters", TWINS, "noise"]
    assert metrics["letters"] == {"auroc": 1.0, "fpr_at_95_tpr": 0.0, "refused": 0}
    assert metrics[TWINS]["refused"] == 2 and metrics["worst_kind"] in {"letters", "noise"}
    assert metrics["worst_auroc"] == min(metrics["letters"]["auroc"], metrics["noise"]["auroc"])
