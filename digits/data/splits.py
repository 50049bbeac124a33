"""Normalized tensor splits: how preprocess builds them and how train/evaluate read them back."""

import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from digits.core.atomic import atomic_file, save_record
from digits.core.errors import PipelineError
from digits.data.idx import IMAGE_SIDE, NUM_CLASSES


@dataclass(frozen=True)
class Normalization:
    mean: float  # normalized = (pixel / 255 - mean) / std
    std: float

    @property
    def blank(self) -> float:
        """A blank (white paper) pixel, normalized."""
        return -self.mean / self.std


@dataclass(frozen=True)
class Split:
    images: torch.Tensor  # (N, 1, 28, 28) float32, normalized
    labels: torch.Tensor  # (N,) int64 in 0..9
    norm: Normalization

    def __len__(self) -> int:
        return len(self.labels)


def normalize(images: np.ndarray, norm: Normalization) -> torch.Tensor:
    """(N, 28, 28) uint8 -> (N, 1, 28, 28) float32, in one vectorized pass."""
    pixels = torch.from_numpy(np.ascontiguousarray(images).copy())
    return pixels.unsqueeze(1).float().div_(255).sub_(norm.mean).div_(norm.std)


def split_indices(n: int, val_size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random partition of range(n) into (train, validation) indices, each sorted."""
    if val_size >= n:
        raise PipelineError(f"preprocess.val_size: {val_size} leaves no training images out of {n}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return perm[val_size:].sort().values, perm[:val_size].sort().values


def make_split(images: np.ndarray, labels: np.ndarray, norm: Normalization) -> Split:
    return Split(normalize(images, norm), torch.from_numpy(labels.astype(np.int64)), norm)


def save_split(split: Split, path: Path) -> None:
    record = {"images": split.images, "labels": split.labels, "mean": split.norm.mean, "std": split.norm.std}
    with atomic_file(path) as tmp:
        save_record(record, tmp)


def load_split(path: Path, allow_empty: bool = False) -> Split:
    """Read a split written by save_split; anything else is a one-line PipelineError. Only the
    collected pictures' splits may be empty (`allow_empty`): a collection starts with none."""
    record = safe_torch_load(path, "processed split (run the preprocess stage)")
    if not isinstance(record, dict) or set(record) != {"images", "labels", "mean", "std"}:
        raise PipelineError(f"{path}: not a processed split: expected images, labels, mean and std")
    images, labels = record["images"], record["labels"]
    if not (isinstance(images, torch.Tensor) and images.dtype == torch.float32 and images.ndim == 4):
        raise PipelineError(f"{path}: images must be a float32 tensor (N, 1, 28, 28)")
    if images.shape[1:] != (1, IMAGE_SIDE, IMAGE_SIDE):
        raise PipelineError(f"{path}: images have shape {tuple(images.shape)}, expected (N, 1, 28, 28)")
    if not (isinstance(labels, torch.Tensor) and labels.dtype == torch.int64 and labels.shape == images.shape[:1]):
        raise PipelineError(f"{path}: labels must be an int64 tensor (N,) matching the {len(images)} images")
    if len(labels) == 0 and not allow_empty:
        raise PipelineError(f"{path}: the split has no images")
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise PipelineError(f"{path}: labels must be digits 0-9")
    return Split(images, labels, Normalization(float(record["mean"]), float(record["std"])))


# What torch.load and zipfile raise on truncated or garbled archives (found by fuzzing, tests/unit/test_data.py).
DAMAGED_FILE_ERRORS = (
    OSError,
    RuntimeError,
    pickle.UnpicklingError,
    EOFError,
    zipfile.BadZipFile,
    ValueError,
    KeyError,
    IndexError,
)


def safe_torch_load(path: Path, what: str) -> object:
    """torch.load with weights_only=True (no code runs), errors turned into one line naming the file.

    Only zip archives (what torch.save writes) are unpickled: torch would read anything else as a
    legacy pickle, where random bytes escape as IndexError or warnings about pickle protocols.
    """
    if not path.exists():
        raise PipelineError(f"{path}: file not found; expected a {what}")
    try:
        if not zipfile.is_zipfile(path):
            raise PipelineError(f"{path}: unreadable or corrupt, expected a {what}: not a torch.save zip archive")
        return torch.load(path, map_location="cpu", weights_only=True)
    except DAMAGED_FILE_ERRORS as err:
        reason = str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
        raise PipelineError(f"{path}: unreadable or corrupt, expected a {what}: {reason}") from None


def build_splits(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    val_size: int,
    seed: int,
    norm: Normalization,
) -> dict[str, Split]:
    """Normalize MNIST's (images, labels) pairs and carve `val_size` validation images from train."""
    train_idx, val_idx = split_indices(len(train[1]), val_size, seed)
    return {
        "train": make_split(train[0][train_idx.numpy()], train[1][train_idx.numpy()], norm),
        "val": make_split(train[0][val_idx.numpy()], train[1][val_idx.numpy()], norm),
        "test": make_split(*test, norm),
    }
