"""Normalization, the train/validation split and the processed tensor files."""

from pathlib import Path

import numpy as np
import pytest
import torch

from digits.core.errors import PipelineError
from digits.data.splits import Normalization, build_splits, load_split, normalize, save_split, split_indices
from tests.support import synthetic_digits


def test_normalize_shape_dtype_and_values() -> None:
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)  # (1, 2, 2)
    out = normalize(images, Normalization(mean=0.5, std=0.5))
    assert out.shape == (1, 1, 2, 2) and out.dtype == torch.float32
    assert torch.allclose(out.flatten(), torch.tensor([-1.0, 1.0, -0.6, -0.2]))


def test_split_is_a_seeded_partition() -> None:
    train, val = split_indices(100, 20, seed=3)
    assert len(val) == 20 and len(train) == 80
    assert sorted(torch.cat([train, val]).tolist()) == list(range(100))
    again_train, again_val = split_indices(100, 20, seed=3)
    assert torch.equal(val, again_val) and torch.equal(train, again_train)
    assert not torch.equal(val, split_indices(100, 20, seed=4)[1])


def test_split_must_leave_training_images() -> None:
    with pytest.raises(PipelineError, match=r"preprocess\.val_size: 100 leaves no training images out of 100"):
        split_indices(100, 100, seed=0)


def test_build_splits_keeps_test_apart() -> None:
    train, test = synthetic_digits(50, seed=0), synthetic_digits(20, seed=1)
    splits = build_splits(train, test, val_size=10, seed=0, norm=Normalization(0.1, 0.3))
    assert [len(splits[name]) for name in ("train", "val", "test")] == [40, 10, 20]
    assert torch.equal(splits["test"].labels, torch.from_numpy(test[1].astype(np.int64)))


def test_save_load_round_trip(tmp_path: Path) -> None:
    split = build_splits(synthetic_digits(30, 0), synthetic_digits(10, 1), 5, 0, Normalization(0.2, 0.4))["val"]
    save_split(split, tmp_path / "val.pt")
    loaded = load_split(tmp_path / "val.pt")
    assert torch.equal(loaded.images, split.images) and torch.equal(loaded.labels, split.labels)
    assert loaded.norm == Normalization(0.2, 0.4)
    assert list(tmp_path.iterdir()) == [tmp_path / "val.pt"]  # no temporary file left behind


def test_save_is_byte_identical(tmp_path: Path) -> None:
    split = build_splits(synthetic_digits(30, 0), synthetic_digits(10, 1), 5, 0, Normalization(0.2, 0.4))["train"]
    save_split(split, tmp_path / "a.pt")
    save_split(split, tmp_path / "b.pt")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "unreadable or corrupt"),
        (b"garbage" * 100, "unreadable or corrupt"),
    ],
)
def test_corrupt_files_are_one_line_errors(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "train.pt").write_bytes(content)
    with pytest.raises(PipelineError, match=message) as caught:
        load_split(tmp_path / "train.pt")
    assert "\n" not in str(caught.value) and str(tmp_path / "train.pt") in str(caught.value)


def test_truncated_file(tmp_path: Path) -> None:
    split = build_splits(synthetic_digits(30, 0), synthetic_digits(10, 1), 5, 0, Normalization(0.2, 0.4))["train"]
    save_split(split, tmp_path / "train.pt")
    data = (tmp_path / "train.pt").read_bytes()
    (tmp_path / "train.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(PipelineError, match="unreadable or corrupt"):
        load_split(tmp_path / "train.pt")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"images": torch.zeros(2, 1, 28, 28)}, "not a processed split"),
        (
            {"images": torch.zeros(2, 28, 28), "labels": torch.zeros(2, dtype=torch.int64), "mean": 0.0, "std": 1.0},
            "images must be a float32 tensor",
        ),
        (
            {"images": torch.zeros(2, 1, 28, 28), "labels": torch.zeros(3, dtype=torch.int64), "mean": 0.0, "std": 1.0},
            "labels must be an int64 tensor",
        ),
        (
            {"images": torch.zeros(1, 1, 28, 28), "labels": torch.tensor([12]), "mean": 0.0, "std": 1.0},
            "labels must be digits 0-9",
        ),
    ],
)
def test_wrong_structure(tmp_path: Path, record: dict[str, object], message: str) -> None:
    torch.save(record, tmp_path / "x.pt")
    with pytest.raises(PipelineError, match=message):
        load_split(tmp_path / "x.pt")


def test_damaged_files_only_ever_give_the_projects_error(tmp_path: Path) -> None:
    """Random bytes and archives with a few bytes flipped: a PipelineError or a valid split, nothing else."""
    split = build_splits(synthetic_digits(12, 0), synthetic_digits(10, 1), 2, 0, Normalization(0.2, 0.4))["val"]
    save_split(split, tmp_path / "good.pt")
    good = (tmp_path / "good.pt").read_bytes()
    rng = np.random.default_rng(0)
    for trial in range(400):
        data = bytearray(rng.bytes(len(good)) if trial % 4 == 0 else good)
        for position in rng.integers(0, len(data), size=trial % 7 + 1):
            data[position] = rng.integers(0, 256)
        (tmp_path / "x.pt").write_bytes(bytes(data))
        try:
            load_split(tmp_path / "x.pt")
        except PipelineError as err:
            assert str(err).startswith(str(tmp_path / "x.pt")) and "\n" not in str(err)
