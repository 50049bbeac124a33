"""digits/data/collection.py: pictures stored once under their label, named by their hash, within the quota,
and read back only when they are what their name says."""

import hashlib
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digits.core.errors import PipelineError
from digits.data.collection import (
    STALE_SECONDS,
    TEMP_SUFFIX,
    Collection,
    CollectionError,
    encode_png,
    holdout_share,
    read_picture,
)


def picture(seed: int) -> np.ndarray:
    """A (28, 28) uint8 model view, different for each seed."""
    return np.random.default_rng(seed).integers(0, 256, size=(28, 28), dtype=np.uint8)


def test_store_writes_the_png_named_by_its_hash_under_its_label(tmp_path: Path) -> None:
    stored = Collection(tmp_path / "collected").store(picture(0), 7)
    digit, name = stored.path.split("/")
    file = tmp_path / "collected" / stored.path
    assert (digit, stored.created) == ("7", True)
    assert name == hashlib.sha256(file.read_bytes()).hexdigest() + ".png"
    assert file.read_bytes() == encode_png(picture(0))
    assert np.array_equal(read_picture(file), picture(0))
    assert [(path.name, label) for path, label in Collection(tmp_path / "collected").pictures()] == [(name, 7)]


def test_the_same_picture_is_stored_once(tmp_path: Path) -> None:
    collection = Collection(tmp_path)
    first, again = collection.store(picture(1), 3), collection.store(picture(1), 3)
    assert (first.path, first.created, again.created) == (again.path, True, False)
    assert collection.count() == 1


def test_the_same_picture_under_another_label_is_a_409(tmp_path: Path) -> None:
    collection = Collection(tmp_path)
    stored = collection.store(picture(2), 3)
    with pytest.raises(CollectionError) as refused:
        collection.store(picture(2), 5)
    assert refused.value.status == 409
    assert str(refused.value) == f"this picture is already collected as a 3: {stored.path}"
    assert collection.count() == 1 and not (tmp_path / "5").exists()
    eight = collection.store(picture(10), 8)
    with pytest.raises(CollectionError, match=f"^this picture is already collected as an 8: {eight.path}$"):
        collection.store(picture(10), 2)


@pytest.mark.parametrize("label", [-1, 10, 42])
def test_a_label_outside_0_9_is_a_422(tmp_path: Path, label: int) -> None:
    with pytest.raises(CollectionError) as refused:
        Collection(tmp_path).store(picture(3), label)
    assert (refused.value.status, str(refused.value)) == (422, f"label must be a digit 0-9, not {label}")
    assert Collection(tmp_path).count() == 0


def test_the_quota_counts_files_and_still_answers_for_stored_ones(tmp_path: Path) -> None:
    collection = Collection(tmp_path, max_files=2)
    collection.store(picture(4), 1)
    collection.store(picture(5), 2)
    with pytest.raises(CollectionError) as refused:
        collection.store(picture(6), 1)
    assert (refused.value.status, str(refused.value)) == (409, "the collection is full: 2 pictures (--collect-max)")
    assert collection.store(picture(4), 1).created is False  # already there: no new file, so no refusal
    assert collection.count() == 2


def test_an_unwritable_place_is_a_507_and_leaves_no_temporary(tmp_path: Path) -> None:
    collection = Collection(tmp_path)
    (tmp_path / "4").write_text("a file where the digit's folder goes")  # fails as root too, unlike chmod
    with pytest.raises(CollectionError) as refused:
        collection.store(picture(7), 4)
    assert refused.value.status == 507 and str(refused.value) == "cannot store the picture: File exists"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["4"]


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(PipelineError, match=r"taken/sub: cannot make the collection folder: Not a directory$"):
        Collection(tmp_path / "taken" / "sub")


def test_temporaries_of_killed_writers_are_swept_once_stale(tmp_path: Path) -> None:
    collection = Collection(tmp_path)
    stored = collection.store(picture(8), 6)
    old = tmp_path / "6" / f".{'a' * 64}.png.123.beef{TEMP_SUFFIX}"
    fresh = tmp_path / "6" / f".{'b' * 64}.png.124.cafe{TEMP_SUFFIX}"
    for temp in (old, fresh):
        temp.write_bytes(b"half a PNG")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    collection = Collection(tmp_path)  # the default age: only the old one belongs to no live writer
    assert not old.exists() and fresh.exists() and STALE_SECONDS < 3600
    assert [path.name for path, _ in collection.pictures()] == [stored.path.split("/")[1]]  # hidden: skipped
    Collection(tmp_path, stale_seconds=0)
    assert sorted(p.name for p in (tmp_path / "6").iterdir()) == [stored.path.split("/")[1]]


def test_read_picture_refuses_what_is_not_a_stored_picture(tmp_path: Path) -> None:
    folder = tmp_path / "2"
    folder.mkdir()
    renamed = folder / "scan.png"
    renamed.write_bytes(encode_png(picture(9)))
    with pytest.raises(PipelineError, match=r"^2/scan.png: not a collected picture \(names are <sha256>.png"):
        read_picture(renamed)
    edited = folder / (hashlib.sha256(b"the original").hexdigest() + ".png")
    edited.write_bytes(encode_png(picture(9)))
    with pytest.raises(PipelineError, match="its content does not match its name"):
        read_picture(edited)
    colour_file = folder / "x.png"
    Image.fromarray(np.stack([picture(9)] * 3, axis=-1)).save(colour_file)
    named = folder / (hashlib.sha256(colour_file.read_bytes()).hexdigest() + ".png")
    colour_file.rename(named)
    with pytest.raises(PipelineError, match=r"not a 28x28 grayscale PNG \(RGB 28x28\)"):
        read_picture(named)


def test_holdout_share_depends_on_the_name_only_and_spreads_evenly() -> None:
    names = [hashlib.sha256(str(i).encode()).hexdigest() + ".png" for i in range(2000)]
    shares = [holdout_share(name) for name in names]
    assert shares == [holdout_share(name) for name in names]  # the same picture, the same side, always
    assert all(0 <= share < 1 for share in shares)
    assert holdout_share("0" * 64 + ".png") == 0 and holdout_share("f" * 64 + ".png") < 1
    assert 0.45 < np.mean(np.array(shares) < 0.5) < 0.55  # about half below 0.5: a fair split
