"""Architectures and self-describing checkpoints."""

from pathlib import Path

import pytest
import torch

from digits.core.errors import PipelineError
from digits.core.params import load_params
from digits.data.splits import Normalization
from digits.model.checkpoint import load_checkpoint, save_checkpoint
from digits.model.networks import CNN, MLP, build_model, predict_logits

ROOT = Path(__file__).resolve().parents[2]


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
    save_checkpoint(
        tmp_path / "m.pt", model, "cnn", {"channels": [4, 8, 8, 8]}, Normalization(0.1, 0.3), train_params(), 2
    )
    loaded = load_checkpoint(tmp_path / "m.pt")
    images = torch.randn(3, 1, 28, 28)
    assert torch.equal(loaded.model(images), model(images))
    assert loaded.norm == Normalization(0.1, 0.3)
    assert loaded.architecture == "cnn" and loaded.best_epoch == 2
    assert loaded.train_params["lr"] == train_params().lr


def test_params_without_effect_are_left_out_so_the_same_weights_give_the_same_file(tmp_path: Path) -> None:
    model, args, norm = CNN((4, 8, 8, 8)).eval(), {"channels": [4, 8, 8, 8]}, Normalization(0.1, 0.3)
    save_checkpoint(tmp_path / "a.pt", model, "cnn", args, norm, train_params(), 2, unused=("collected_share",))
    loaded = load_checkpoint(tmp_path / "a.pt")
    assert "collected_share" not in loaded.train_params and loaded.train_params["lr"] == train_params().lr
    save_checkpoint(tmp_path / "b.pt", model, "cnn", args, norm, train_params(), 2, unused=("collected_share",))
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()


def test_checkpoint_with_foreign_weights(tmp_path: Path) -> None:
    save_checkpoint(
        tmp_path / "m.pt",
        CNN((4, 8, 8, 8)),
        "cnn",
        {"channels": [4, 8, 16, 16]},
        Normalization(0, 1),
        train_params(),
        1,
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
    save_checkpoint(tmp_path / "e.pt", model, "ensemble", ENSEMBLE, Normalization(0.1, 0.3), train_params(), 1)
    loaded = load_checkpoint(tmp_path / "e.pt")
    images = torch.randn(3, 1, 28, 28)
    assert loaded.architecture == "ensemble" and torch.equal(loaded.model(images), model(images))


@pytest.mark.parametrize(
    "args", [{**ENSEMBLE, "members": 0}, {**ENSEMBLE, "member": "ensemble"}, {**ENSEMBLE, "member": "resnet"}]
)
def test_bad_ensemble_arguments(args: dict[str, object]) -> None:
    with pytest.raises(PipelineError, match=r"bad architecture arguments|unknown model 'resnet'"):
        build_model("ensemble", args)
