"""Architectures and self-describing checkpoints."""

import dataclasses
from pathlib import Path

import pytest
import torch

from digits.core.errors import PipelineError
from digits.core.params import load_params
from digits.data.splits import Normalization
from digits.model.checkpoint import load_checkpoint, save_checkpoint
from digits.model.confidence import UNCALIBRATED, Calibration, view_logits
from digits.model.networks import CNN, MLP, build_model, predict_logits

ROOT = Path(__file__).resolve().parents[2]
CALIBRATION = Calibration(temperature=1.7, not_a_digit_below=2.5, unsure_below=0.62)


@pytest.mark.parametrize(
    ("name", "args"), [("mlp", {"hidden": [128, 64]}), ("mlp", {"hidden": []}), ("cnn", {"channels": [8, 16, 32, 32]})]
)
def test_output_shape(name: str, args: dict[str, object]) -> None:
    model = build_model(name, args)
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)


def test_mlp_is_the_tutorial_network() -> None:
    sizes = [tuple(p.shape) for p in MLP((128, 64)).parameters()]
    assert sizes == [(128, 784), (128,), (64, 128), (64,), (10, 64), (10,)]


def test_unknown_architecture() -> None:
    with pytest.raises(PipelineError, match="unknown model 'resnet'"):
        build_model("resnet", {})


def test_bad_architecture_arguments() -> None:
    with pytest.raises(PipelineError, match="bad architecture arguments"):
        build_model("cnn", {"channels": [8, 16]})


def test_predict_logits_batches() -> None:
    model = CNN((4, 8, 8, 8))
    images = torch.randn(7, 1, 28, 28)
    whole = predict_logits(model, images, batch_size=100, device=torch.device("cpu"))
    batched = predict_logits(model, images, batch_size=3, device=torch.device("cpu"))
    assert whole.shape == (7, 10)
    assert torch.allclose(whole, batched, atol=1e-5)


def train_params() -> object:
    return load_params(ROOT / "params.yaml", "train")


def test_checkpoint_rebuilds_the_model_from_the_file_alone(tmp_path: Path) -> None:
    model = CNN((4, 8, 8, 8)).eval()
    args = {"channels": [4, 8, 8, 8]}
    save_checkpoint(tmp_path / "m.pt", model, "cnn", args, Normalization(0.1, 0.3), train_params(), 2, UNCALIBRATED)
    loaded = load_checkpoint(tmp_path / "m.pt")
    images = torch.randn(3, 1, 28, 28)
    assert torch.equal(loaded.model(images), model(images))  # a temperature of 1: the network's own logits
    assert loaded.norm == Normalization(0.1, 0.3) and loaded.calibration == UNCALIBRATED
    assert loaded.architecture == "cnn" and loaded.best_epoch == 2
    assert loaded.train_params["lr"] == train_params().lr


def test_the_calibration_round_trips_and_the_loaded_model_answers_with_calibrated_logits(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = CNN((4, 8, 8, 8)).eval()
    args = {"channels": [4, 8, 8, 8]}
    save_checkpoint(tmp_path / "m.pt", model, "cnn", args, Normalization(0.1, 0.3), train_params(), 2, CALIBRATION)
    loaded = load_checkpoint(tmp_path / "m.pt")
    assert loaded.calibration == CALIBRATION  # every field, bit for bit
    images = torch.randn(8, 1, 28, 28)
    raw, calibrated = model(images), loaded.model(images)  # (8, 10) each
    assert torch.allclose(calibrated, raw / CALIBRATION.temperature, atol=1e-6)
    assert torch.equal(calibrated.argmax(1), raw.argmax(1))  # the same digits, hence the same accuracy
    assert not torch.allclose(calibrated.softmax(1), raw.softmax(1), atol=1e-3)  # other probabilities


def test_a_model_with_test_time_views_answers_from_them_once_loaded(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = CNN((4, 8, 8, 8)).eval()
    calibration = dataclasses.replace(CALIBRATION, tta_degrees=16.0)
    norm = Normalization(0.1, 0.3)
    save_checkpoint(tmp_path / "m.pt", model, "cnn", {"channels": [4, 8, 8, 8]}, norm, train_params(), 2, calibration)
    loaded = load_checkpoint(tmp_path / "m.pt")
    assert loaded.calibration == calibration
    images = torch.randn(8, 1, 28, 28)
    with torch.no_grad():
        views = view_logits(model, images, 16.0, norm.blank)
        assert torch.allclose(loaded.model(images), views / calibration.temperature, atol=1e-5)
        assert not torch.allclose(views, model(images), atol=1e-4)  # the turned views count


def test_a_checkpoint_from_before_calibration_is_one_line_saying_to_train_again(tmp_path: Path) -> None:
    model = CNN((4, 8, 8, 8))
    args = {"channels": [4, 8, 8, 8]}
    save_checkpoint(tmp_path / "m.pt", model, "cnn", args, Normalization(0.1, 0.3), train_params(), 2, CALIBRATION)
    record = torch.load(tmp_path / "m.pt", weights_only=True)
    del record["calibration"]  # what digits.checkpoint.v1 files hold
    torch.save({**record, "format": "digits.checkpoint.v1"}, tmp_path / "v1.pt")
    with pytest.raises(PipelineError) as error:
        load_checkpoint(tmp_path / "v1.pt")
    assert (
        str(error.value)
        == f"{tmp_path / 'v1.pt'}: a checkpoint from before calibration (v1); run `dvc repro` to train one again"
    )


def test_an_adapted_model_records_its_adaptation_and_a_base_model_has_none(tmp_path: Path) -> None:
    model, args, norm = CNN((4, 8, 8, 8)).eval(), {"channels": [4, 8, 8, 8]}, Normalization(0.1, 0.3)
    save_checkpoint(tmp_path / "a.pt", model, "cnn", args, norm, train_params(), 2, CALIBRATION)
    base = load_checkpoint(tmp_path / "a.pt")
    assert base.adaptation is None and base.train_params["lr"] == train_params().lr
    adaptation = {"pictures": 12, "steps": 5, "lr": 0.001}
    save_checkpoint(tmp_path / "b.pt", model, "cnn", args, norm, base.train_params, 2, CALIBRATION, adaptation)
    adapted = load_checkpoint(tmp_path / "b.pt")
    assert adapted.adaptation == adaptation and adapted.train_params == base.train_params


def test_checkpoint_with_foreign_weights(tmp_path: Path) -> None:
    save_checkpoint(
        tmp_path / "m.pt",
        CNN((4, 8, 8, 8)),
        "cnn",
        {"channels": [4, 8, 16, 16]},
        Normalization(0, 1),
        train_params(),
        1,
        UNCALIBRATED,
    )
    with pytest.raises(PipelineError, match=r"m\.pt: weights do not fit the architecture.*run `dvc repro`"):
        load_checkpoint(tmp_path / "m.pt")


@pytest.mark.parametrize("content", [b"not a model", b""])
def test_garbage_checkpoint(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "m.pt").write_bytes(content)
    with pytest.raises(PipelineError, match=r"m\.pt: unreadable or corrupt"):
        load_checkpoint(tmp_path / "m.pt")


def test_plain_state_dict_is_not_a_checkpoint(tmp_path: Path) -> None:
    torch.save(CNN((4, 8, 8, 8)).state_dict(), tmp_path / "m.pt")
    with pytest.raises(PipelineError, match="not a model checkpoint of this project"):
        load_checkpoint(tmp_path / "m.pt")


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"file not found.*dvc repro"):
        load_checkpoint(tmp_path / "m.pt")


ENSEMBLE = {"members": 3, "member": "cnn", "args": {"channels": [4, 8, 8, 8]}}


def test_ensemble_answers_with_its_members_mean_probability() -> None:
    torch.manual_seed(0)
    ensemble, images = build_model("ensemble", ENSEMBLE), torch.randn(5, 1, 28, 28)
    answer = ensemble.eval()(images)  # (5, 10) logits whose softmax is the members' mean probability
    members = torch.stack([m(images) for m in ensemble.members], dim=-1)  # (5, 10, 3), each in eval mode
    assert answer.shape == (5, 10)
    assert torch.allclose(answer.softmax(1), members.softmax(1).mean(-1), atol=1e-6)
    assert not torch.equal(members[..., 0], members[..., 1])  # initialized apart
    assert ensemble.train()(images).shape == (5, 10, 3)  # each member's logits, for each member's loss


def test_ensemble_checkpoint_rebuilds_every_member(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = build_model("ensemble", ENSEMBLE).eval()
    norm = Normalization(0.1, 0.3)
    save_checkpoint(tmp_path / "e.pt", model, "ensemble", ENSEMBLE, norm, train_params(), 1, CALIBRATION)
    loaded = load_checkpoint(tmp_path / "e.pt")
    images = torch.randn(3, 1, 28, 28)
    assert loaded.architecture == "ensemble"
    assert torch.allclose(loaded.model(images), model(images) / CALIBRATION.temperature, atol=1e-6)


@pytest.mark.parametrize(
    "args", [{**ENSEMBLE, "members": 0}, {**ENSEMBLE, "member": "ensemble"}, {**ENSEMBLE, "member": "resnet"}]
)
def test_bad_ensemble_arguments(args: dict[str, object]) -> None:
    with pytest.raises(PipelineError, match=r"bad architecture arguments|unknown model 'resnet'"):
        build_model("ensemble", args)
