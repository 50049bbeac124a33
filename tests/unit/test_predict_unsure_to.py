"""`digits predict FILES --unsure-to DIR`: the answers as without it, the unsure and not-a-digit pictures copied to
DIR to be sorted, a last line on stderr (so --json stays JSON Lines), and one error line when DIR cannot be made
or a copy cannot be written. On tests/decisive_model.py's three pictures, one per decision."""

import errno
import json
from pathlib import Path

import pytest

from digits.prediction.set_aside import SortingFolder, copy_name
from tests.decisive_model import EXPECTED_TEXT, decisive_model, write_pictures
from tests.unit.test_predict import run

HINT = "move each into {review}/<digit>/, then digits collect {review} --sorted"  # the summary line's end


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return decisive_model(tmp_path_factory.mktemp("model") / "model.pt")


def set_aside_names(review: Path) -> list[str]:
    """Every file under `review`, relative to it, hidden ones included."""
    return sorted(str(p.relative_to(review)) for p in review.rglob("*") if p.is_file())


def test_unsure_and_not_a_digit_pictures_are_copied_and_counted(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_pictures(tmp_path / "in")
    review = tmp_path / "review"
    code, out, err = run(capsys, "predict", "--model", str(model), "--unsure-to", str(review), str(tmp_path / "in"))
    assert code == 0
    assert out.splitlines() == [f"{paths[d]}: {EXPECTED_TEXT[d]}" for d in ("unsure", "not_a_digit", "digit")]
    assert err == f"set aside 2 pictures in {review}: {HINT.format(review=review)}\n"
    copies = {d: copy_name(paths[d], paths[d].read_bytes()) for d in ("unsure", "not_a_digit")}
    assert set_aside_names(review) == sorted(copies.values())
    assert sorted(p.name for p in review.iterdir() if p.is_dir()) == [str(d) for d in range(10)]
    for decision, name in copies.items():
        assert (review / name).read_bytes() == paths[decision].read_bytes()


def test_json_stays_json_lines_and_a_second_run_copies_nothing(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_pictures(tmp_path / "in")
    review = tmp_path / "review"
    args = ["predict", "--model", str(model), "--json", "--unsure-to", str(review), *map(str, paths.values())]
    run(capsys, *args)
    first = set_aside_names(review)
    code, out, err = run(capsys, *args)
    assert code == 0 and [json.loads(line)["decision"] for line in out.splitlines()] == list(paths)
    assert err.startswith(f"set aside 2 pictures in {review} (2 of them already there): ")
    assert set_aside_names(review) == first


def test_a_folder_that_cannot_be_made_is_one_line_before_any_answer(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_pictures(tmp_path / "in")
    review = paths["digit"] / "review"  # under a file
    code, out, err = run(capsys, "predict", "--model", str(model), "--unsure-to", str(review), str(paths["unsure"]))
    assert (code, out) == (1, "")
    assert err == f"digits: error: {review}: cannot make the folder to sort into: Not a directory\n"


def test_a_copy_that_fails_is_an_error_line_and_the_others_go_on(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_pictures(tmp_path / "in")
    real = SortingFolder.set_aside

    def full_disk_for_the_blob(self: SortingFolder, path: Path) -> Path:
        if path == paths["unsure"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path)

    monkeypatch.setattr(SortingFolder, "set_aside", full_disk_for_the_blob)
    review = tmp_path / "review"
    code, out, err = run(
        capsys, "predict", "--model", str(model), "--unsure-to", str(review), *map(str, paths.values())
    )
    assert code == 1 and len(out.splitlines()) == 3  # every answer still printed
    assert err.splitlines() == [
        f"digits: error: {paths['unsure']}: cannot set aside: No space left on device",
        f"set aside 1 picture in {review}: {HINT.format(review=review)}",
    ]
    assert set_aside_names(review) == [copy_name(paths["not_a_digit"], paths["not_a_digit"].read_bytes())]
