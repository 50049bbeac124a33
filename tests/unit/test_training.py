"""fit() on tiny synthetic data: it learns, it is deterministic, it selects on validation, outlier exposure works."""

import dataclasses
import math
from pathlib import Path

import pytest
import torch

from digits.core.params import TrainParams, load_params
from digits.data.splits import Normalization, build_splits, normalize
from digits.evaluation.metrics import loss_and_accuracy
from digits.model.confidence import digitness
from digits.model.networks import predict_logits
from digits.training.augment import Augmentation
from digits.training.batches import training_set
from digits.training.epoch import member_targets, uniform_cross_entropy
from digits.training.fit import architecture, augmentation, fit, init_model, with_outlier_pool
from digits.training.outliers import outlier_pixels
from tests.support import synthetic_digits

ROOT = Path(__file__).resolve().parents[2]
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def splits() -> dict[str, object]:
    return build_splits(synthetic_digits(640, 0), synthetic_digits(100, 1), 128, 0, Normalization(0.1, 0.3))


STYLE_KNOBS = ("max_stretch", "max_shear", "box_fill", "stroke_width", "elastic", "speckle", "blur", "low_resolution")


def small(**changes: object) -> TrainParams:
    base = load_params(ROOT / "params.yaml", "train")
    defaults = {
        "cnn_channels": (4, 8, 16, 16),
        "epochs": 3,
        "batch_size": 32,
        "lr": 0.02,
        "threads": 1,
        "device": "cpu",
        # MNIST's own variety only: the style augmentation is for real digits, too hard for 3 epochs of these
        "max_rotation": 10.0,
        "max_scale": 0.1,
        **dict.fromkeys(STYLE_KNOBS, 0.0),
        "plain_epochs": 0,
        "outlier_share": 0.0,  # outlier exposure has tests of its own, below
    }
    return dataclasses.replace(base, **{**defaults, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"model": "cnn"},
        {"model": "mlp", "optimizer": "sgd", "lr": 0.1, "schedule": "constant", "max_shift": 0, "epochs": 5},
        {"model": "cnn", "ema_decay": 0.9, "max_rotation": 10.0, "max_scale": 0.1, "label_smoothing": 0.0},
        {"model": "cnn", "members": 2},
    ],
)
def test_fit_learns(splits: dict[str, object], changes: dict[str, object]) -> None:
    params = small(**changes)
    model = init_model(params)
    history = fit(model, splits["train"], splits["val"], params, CPU)
    assert [s.epoch for s in history.epochs] == list(range(1, params.epochs + 1))
    assert history.best.val_acc > 0.8  # chance is 0.1
    first, last = history.epochs[0], history.epochs[-1]
    assert last.train_loss < first.train_loss and last.train_smoothed_loss < first.train_smoothed_loss
    if params.label_smoothing == 0:
        assert [s.train_loss for s in history.epochs] == [s.train_smoothed_loss for s in history.epochs]
    else:  # mostly right and confident: smoothing's share of the other classes' -log p makes the objective larger
        assert last.train_smoothed_loss > last.train_loss


def test_fit_is_deterministic(splits: dict[str, object]) -> None:
    params = small(epochs=2)
    states = []
    for _ in range(2):
        model = init_model(params)
        fit(model, splits["train"], splits["val"], params, CPU)
        states.append(model.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_fit_keeps_the_best_validation_epoch(splits: dict[str, object]) -> None:
    # A learning rate this high makes later epochs worse; the best epoch's weights must come back.
    params = small(epochs=4, optimizer="sgd", lr=5.0, schedule="constant", momentum=0.0)
    model = init_model(params)
    seen: list[object] = []
    history = fit(model, splits["train"], splits["val"], params, CPU, on_epoch=seen.append)
    assert seen == history.epochs
    best = max(history.epochs, key=lambda s: (s.val_acc, s.epoch))
    assert history.best_epoch == best.epoch
    val = splits["val"]
    assert loss_and_accuracy(model, val.images, val.labels, 64, CPU)[1] == pytest.approx(best.val_acc)


def test_the_last_plain_epochs_keep_only_shift_rotation_and_zoom() -> None:
    params = small(epochs=5, plain_epochs=2, box_fill=0.3, speckle=0.05, elastic=1.0, max_shear=10.0)
    norm = Normalization(0.1, 0.3)
    styled = [augmentation(params, norm, epoch) for epoch in (1, 2, 3)]
    plain = [augmentation(params, norm, epoch) for epoch in (4, 5)]
    assert all(a.box_fill == 0.3 and a.speckle == 0.05 and a.elastic == 1.0 for a in styled)
    assert all(a == Augmentation(params.max_shift, params.max_rotation, params.max_scale, norm) for a in plain)


def test_an_ensemble_of_one_is_the_network_itself() -> None:
    assert architecture(small(members=1)) == ("cnn", {"channels": [4, 8, 16, 16]})
    name, args = architecture(small(model="mlp", members=3))
    assert name == "ensemble" and args == {"members": 3, "member": "mlp", "args": {"hidden": [128, 64]}}


def test_every_member_learns_every_label() -> None:
    labels = torch.tensor([3, 1])
    assert torch.equal(member_targets(torch.zeros(2, 10), labels), labels)
    assert member_targets(torch.zeros(2, 10, 3), labels).tolist() == [[3, 3, 3], [1, 1, 1]]


def test_the_outlier_loss_is_least_for_a_uniform_prediction() -> None:
    flat = torch.zeros(3, 10)
    assert uniform_cross_entropy(flat).item() == pytest.approx(math.log(10))
    assert uniform_cross_entropy(torch.eye(10)[:3] * 5).item() > math.log(10)


def test_the_outlier_pool_holds_one_picture_for_every_eight_drawn(splits: dict[str, object]) -> None:
    params = small(outlier_share=0.125, epochs=3)  # 4 per batch of 32
    mnist = training_set(splits["train"], None, 0, 32)
    data = with_outlier_pool(mnist, params, splits["train"].norm, mnist.steps(32) * 3)
    assert data.outliers_per_batch == 4
    assert len(data.outliers) == math.ceil(4 * data.steps(32) * 3 / 8) and data.outliers.shape[1:] == (1, 28, 28)
    plain = with_outlier_pool(mnist, small(outlier_share=0.0), Normalization(0, 1), mnist.steps(32) * 3)
    assert plain.outliers_per_batch == 0 and len(plain.outliers) == 0


def test_outlier_exposure_lowers_the_digitness_of_unseen_non_digits(splits: dict[str, object]) -> None:
    """Trained with synthetic non-digits beside the digits, the model scores other non-digits (another seed's)
    as less digit-like than the same model trained without them, and still reads the digits."""
    unseen = normalize(outlier_pixels(64, seed=99).numpy(), splits["train"].norm)
    digitness_of = {}
    for share in (0.0, 0.25):
        params = small(outlier_share=share, outlier_weight=1.0, epochs=4)
        model = init_model(params)
        history = fit(model, splits["train"], splits["val"], params, CPU)
        assert history.best.val_acc > 0.6  # chance is 0.1; 4 epochs of these with the non-digits: 0.75
        digitness_of[share] = digitness(predict_logits(model, unseen, 64, CPU)).mean().item()
    assert digitness_of[0.25] < digitness_of[0.0] - 0.5
