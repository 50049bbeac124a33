"""`digits collect DIR --sorted`: what is read from a folder sorted by hand (tiny files in tmp_path), each picture
stored under the digit of its folder, one line on stderr for what is left unsorted, and the refusals."""

from pathlib import Path

import pytest

from digits.data.collect_sorted import sorted_files, sorting_problem, unsorted_line
from digits.data.collection import Collection, encode_png
from digits.data.imageprep import model_view
from tests.serve_support import distinct_digits
from tests.unit.test_collect_cli import run


def sorting_folder(root: Path, files: dict[str, bytes]) -> Path:
    """`root` with its ten digit folders and `files` ("4/a.png": bytes, "top.png": ...) in it."""
    for digit in range(10):
        (root / str(digit)).mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


def test_the_files_in_digit_folders_are_read_with_their_digit(tmp_path: Path) -> None:
    a, b, c, d = distinct_digits(4)
    files = {"9/b.png": b, "4/a.png": a, "4/c.jpg": c, "top.png": d, "4/notes.txt": b"", "4/.hidden.png": a}
    review = sorting_folder(tmp_path / "review", files)
    (review / "4" / "nested").mkdir()  # not read: one level, as `digits predict` reads folders
    (review / "4" / "nested" / "x.png").write_bytes(d)
    assert sorted_files(review, tmp_path / "collected") == [
        (review / "4" / "a.png", 4),
        (review / "4" / "c.jpg", 4),
        (review / "9" / "b.png", 9),
    ]
    assert unsorted_line(review) == f"{review}: 1 picture left unsorted (not in {review}/<digit>/, not collected)"


def test_digit_folders_may_be_missing_but_not_all(tmp_path: Path) -> None:
    (tmp_path / "review" / "3").mkdir(parents=True)
    (tmp_path / "review" / "3" / "a.png").write_bytes(distinct_digits(1)[0])
    assert sorted_files(tmp_path / "review", tmp_path / "collected") == [(tmp_path / "review" / "3" / "a.png", 3)]
    (tmp_path / "sheet").mkdir()
    assert "no folders 0-9 in it" in sorting_problem(tmp_path / "sheet", tmp_path / "collected")


def test_what_is_not_a_sorted_folder(tmp_path: Path) -> None:
    (tmp_path / "file.png").write_bytes(b"")
    collected = sorting_folder(tmp_path / "collected", {})
    assert sorting_problem(tmp_path / "missing", collected) == "file not found"
    assert sorting_problem(tmp_path / "file.png", collected).startswith("not a folder")
    assert sorting_problem(collected, collected) == "this is the collection itself (--into)"


def test_sorted_pictures_are_stored_under_their_folder_s_digit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, c = distinct_digits(3)
    review = sorting_folder(tmp_path / "review", {"4/a.png": a, "9/b.png": b, "left.png": c})
    into = tmp_path / "collected"
    code, out, err = run(capsys, str(review), "--sorted", "--into", str(into))
    stored = {label: path for path, label in Collection(into).pictures()}
    assert (code, sorted(stored)) == (0, [4, 9])
    assert out == [f"{review}/4/a.png: stored as {stored[4]}", f"{review}/9/b.png: stored as {stored[9]}"]
    assert err == [unsorted_line(review)]
    assert stored[4].read_bytes() == encode_png(model_view(review / "4" / "a.png"))
    assert (review / "4" / "a.png").read_bytes() == a  # nothing in the sorted folder moves
    again = run(capsys, str(review), "--sorted", "--into", str(into))
    assert again[0] == 0 and again[1][0] == f"{review}/4/a.png: already there as {stored[4]}"


def test_bad_folders_are_an_error_line_each_and_the_rest_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    review = sorting_folder(tmp_path / "review", {"7/a.png": distinct_digits(1)[0], "7/bad.png": b"text"})
    into, missing = tmp_path / "collected", tmp_path / "missing"
    code, out, err = run(capsys, str(missing), str(review), str(into), "--sorted", "--into", str(into))
    assert code == 1 and len(out) == 1 and out[0].startswith(f"{review}/7/a.png: stored as {into}/7/")
    assert err == [
        f"digits: error: {missing}: file not found",
        f"digits: error: {review}/7/bad.png: not an image (or a format Pillow cannot read)",
        f"digits: error: {into}: this is the collection itself (--into)",
        unsorted_line(review),
    ]


def test_label_and_sorted_are_one_or_the_other(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(tmp_path), "--sorted", "--label", "3")
    assert (code, out) == (2, []) and err[-1].endswith("argument --label: not allowed with argument --sorted")
    code, out, err = run(capsys, str(tmp_path))
    assert (code, out) == (2, []) and err[-1].endswith("one of the arguments --label --sorted is required")
