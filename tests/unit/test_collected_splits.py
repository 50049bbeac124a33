"""preprocess's view of data/collected/: pictures -> normalized train and holdout splits, by content hash."""

from pathlib import Path

import numpy as np
import pytest

from digits.core.errors import PipelineError
from digits.data.collection import Collection, collected_splits, holdout_share
from digits.data.splits import Normalization

NORM = Normalization(0.1307, 0.3081)


def picture(seed: int) -> np.ndarray:
    """A (28, 28) uint8 bar at a random place: a different picture for every seed."""
    rng = np.random.default_rng(seed)
    pixels = np.zeros((28, 28), np.uint8)
    row, col = rng.integers(4, 20, 2)
    pixels[row : row + 6, col : col + 3] = rng.integers(128, 256)
    pixels[27, :4] = np.frombuffer(seed.to_bytes(4, "little"), np.uint8)  # unique: no two seeds collide
    return pixels


def fill(root: Path, seeds: range) -> Collection:
    collection = Collection(root)
    for seed in seeds:
        collection.store(picture(seed), seed % 10)
    return collection


def holdout_names(root: Path, share: float) -> set[str]:
    return {path.name for path, _ in Collection(root).pictures() if holdout_share(path.name) < share}


def test_a_missing_or_empty_collection_gives_empty_splits(tmp_path: Path) -> None:
    for root in (tmp_path / "missing", tmp_path):
        splits = collected_splits(root, 0.2, NORM)
        assert [len(s) for s in splits.values()] == [0, 0]
        assert tuple(splits["train"].images.shape) == (0, 1, 28, 28)


def test_pictures_are_normalized_and_labelled_by_their_folder(tmp_path: Path) -> None:
    fill(tmp_path, range(40))
    splits = collected_splits(tmp_path, 0.25, NORM)
    assert len(splits["train"]) + len(splits["holdout"]) == 40 and 0 < len(splits["holdout"]) < 20
    images = np.concatenate([splits[name].images.numpy() for name in ("train", "holdout")])
    assert images.min() == pytest.approx(-NORM.mean / NORM.std)  # background 0 normalized like MNIST
    labels = sorted(int(label) for name in ("train", "holdout") for label in splits[name].labels)
    assert labels == sorted(seed % 10 for seed in range(40))


def test_adding_pictures_never_moves_one_across_the_split(tmp_path: Path) -> None:
    fill(tmp_path, range(30))
    before = holdout_names(tmp_path, 0.2)
    fill(tmp_path, range(30, 90))
    after = holdout_names(tmp_path, 0.2)
    assert before <= after and len(after) > len(before)
    counts = [len(s) for s in collected_splits(tmp_path, 0.2, NORM).values()]
    assert counts == [90 - len(after), len(after)]


def test_the_holdout_share_is_uniform() -> None:
    shares = [holdout_share(f"{seed:064x}"[::-1]) for seed in range(1000)]
    assert all(0 <= share < 1 for share in shares)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.png", None, "not a collected picture"),
        (None, b"edited", "its content does not match its name"),
    ],
)
def test_a_stray_or_edited_file_is_refused_by_name(
    tmp_path: Path, name: str | None, content: bytes | None, message: str
) -> None:
    stored = Collection(tmp_path).store(picture(0), 4)
    target = tmp_path / "4" / (name or Path(stored.path).name)
    target.write_bytes(content or b"x")
    with pytest.raises(PipelineError, match=f"4/{target.name}: {message}"):
        collected_splits(tmp_path, 0.2, NORM)


def test_hidden_temporaries_are_not_pictures(tmp_path: Path) -> None:
    fill(tmp_path, range(3))
    (tmp_path / "1" / ".abc.png.123.tmp").write_bytes(b"partial")
    assert sum(len(s) for s in collected_splits(tmp_path, 0.5, NORM).values()) == 3
