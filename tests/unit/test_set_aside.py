"""digits/prediction/set_aside.py: how a picture set aside for review is named and copied (tiny files in tmp_path):
the original name plus a short content hash, once per content, atomically, the original untouched."""

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from digits.core.errors import PipelineError
from digits.prediction.set_aside import HASH_CHARS, SortingFolder, copy_name
from tests.serve_support import digit_one_png, distinct_digits, encode


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def jpeg() -> bytes:
    return encode(Image.open(io.BytesIO(digit_one_png())).convert("RGB"), "JPEG")


def test_a_copy_keeps_the_name_and_adds_its_content_hash() -> None:
    data = digit_one_png()
    assert copy_name(Path("scans/one.png"), data) == f"one.{short_hash(data)}.png"
    assert copy_name(Path("Photo.JPG"), jpeg()) == f"Photo.{short_hash(jpeg())}.JPG"  # the suffix as it was
    assert copy_name(Path("one.tar.png"), data) == f"one.tar.{short_hash(data)}.png"


def test_a_suffix_pillow_does_not_know_is_followed_by_the_format_s_own() -> None:
    """`digits collect` reads folders by extension: a copy must end in one, or it would never be taken back."""
    data = digit_one_png()
    assert copy_name(Path("scan"), data) == f"scan.{short_hash(data)}.png"
    assert copy_name(Path("scan.dat"), jpeg()) == f"scan.dat.{short_hash(jpeg())}.jpeg"


def test_a_copy_s_own_name_is_kept() -> None:
    """Predicting DIR itself again with --unsure-to DIR must not copy each copy once more."""
    data = digit_one_png()
    named = copy_name(Path("one.png"), data)
    assert copy_name(Path(named), data) == named
    assert copy_name(Path(f"one.{'0' * HASH_CHARS}.png"), data) == f"one.{'0' * HASH_CHARS}.{short_hash(data)}.png"


def test_the_folder_and_its_ten_digit_folders_are_made(tmp_path: Path) -> None:
    SortingFolder(tmp_path / "a" / "review")
    assert sorted(p.name for p in (tmp_path / "a" / "review").iterdir()) == [str(d) for d in range(10)]


def test_a_folder_that_cannot_be_made_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(PipelineError, match=r"file/review: cannot make the folder to sort into: Not a directory$"):
        SortingFolder(tmp_path / "file" / "review")


def test_a_copy_is_the_original_s_bytes_and_the_original_is_untouched(tmp_path: Path) -> None:
    original = tmp_path / "in" / "one.png"
    original.parent.mkdir()
    original.write_bytes(digit_one_png())
    before = original.stat()
    folder = SortingFolder(tmp_path / "review")
    copy = folder.set_aside(original)
    assert copy == tmp_path / "review" / copy_name(original, digit_one_png())
    assert copy.read_bytes() == original.read_bytes() == digit_one_png()
    assert (original.stat().st_mtime_ns, original.stat().st_ino) == (before.st_mtime_ns, before.st_ino)
    assert [p.name for p in (tmp_path / "review").rglob(".*")] == []  # no temporary left behind


def test_the_same_content_is_copied_once_even_after_it_was_sorted(tmp_path: Path) -> None:
    first, second = distinct_digits(2)
    (tmp_path / "a.png").write_bytes(first)
    folder = SortingFolder(tmp_path / "review")
    copy = folder.set_aside(tmp_path / "a.png")
    assert folder.set_aside(tmp_path / "a.png") == copy
    sorted_copy = copy.rename(tmp_path / "review" / "4" / copy.name)  # a person sorted it
    assert folder.set_aside(tmp_path / "a.png") == sorted_copy
    (tmp_path / "a.png").write_bytes(second)  # new content under the old name: a new copy beside the other
    assert folder.set_aside(tmp_path / "a.png").name == f"a.{short_hash(second)}.png"
    assert (folder.copied, folder.present) == (2, 2)
    names = sorted(str(p.relative_to(tmp_path / "review")) for p in (tmp_path / "review").rglob("*.png"))
    assert names == [f"4/{copy.name}", f"a.{short_hash(second)}.png"]


def test_a_file_that_cannot_be_read_is_an_os_error(tmp_path: Path) -> None:
    folder = SortingFolder(tmp_path / "review")
    with pytest.raises(FileNotFoundError):
        folder.set_aside(tmp_path / "gone.png")
    assert (folder.copied, folder.present) == (0, 0)


def test_the_summary_says_how_many_and_where(tmp_path: Path) -> None:
    folder = SortingFolder(tmp_path / "review")
    root = tmp_path / "review"
    assert folder.summary() == (
        f"set aside 0 pictures in {root}: move each into {root}/<digit>/, then digits collect {root} --sorted"
    )
    folder.copied, folder.present = 1, 0
    assert folder.summary().startswith(f"set aside 1 picture in {root}: ")
    folder.copied, folder.present = 2, 3
    assert folder.summary().startswith(f"set aside 5 pictures in {root} (3 of them already there): ")
