"""`digits collect SRC... --label D`: image files stored as the server stores corrections, one line per file,
one error line per bad file, exit status 1 if any failed, and nothing half-written."""

from pathlib import Path

import pytest

from digits.cli import main
from digits.core.paths import COLLECTED_DIR
from digits.data.collection import Collection, encode_png
from digits.data.imageprep import model_view
from tests.serve_support import blank_png, digit_one_png, distinct_digits, dot_png


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    """(exit status, stdout lines, stderr lines) of `digits collect ARGS`."""
    try:
        main(["collect", *args])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def write(folder: Path, pictures: dict[str, bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in pictures.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in pictures]


def stored_path(into: Path, source: Path) -> Path:
    """Where `source` is stored in `into`."""
    [path] = [path for path, _ in Collection(into).pictures() if path.read_bytes() == encode_png(model_view(source))]
    return path


def test_files_and_folders_are_stored_as_their_model_view(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two, three = distinct_digits(3)
    [single] = write(tmp_path / "loose", {"scan.png": one})
    sheet = tmp_path / "sheet"
    write(sheet, {"a.png": two, "b.png": three, "notes.txt": b"skipped: not an image name"})
    into = tmp_path / "collected"
    code, out, err = run(capsys, str(single), str(sheet), "--label", "7", "--into", str(into))
    stored = {path.name: path for path, _ in Collection(into).pictures()}
    assert (code, err, len(stored)) == (0, [], 3)
    for line, source in zip(out, [single, sheet / "a.png", sheet / "b.png"], strict=True):
        data = encode_png(model_view(source))
        [name] = [name for name, path in stored.items() if path.read_bytes() == data]
        assert line == f"{source}: stored as {into}/7/{name}"
    again = run(capsys, str(single), "--label", "7", "--into", str(into))
    assert again == (0, [f"{single}: already there as {stored_path(into, single)}"], [])


def test_bad_files_are_one_line_each_and_the_rest_is_stored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pictures = {"good.png": digit_one_png(), "x.png": b"text", "blank.png": blank_png(), "dot.png": dot_png()}
    good, bad_text, blank, dot = write(tmp_path / "in", pictures)
    conflict, fresh = write(tmp_path / "again", {"one.png": digit_one_png(), "fresh.png": distinct_digits(1)[0]})
    into, missing = tmp_path / "collected", tmp_path / "in" / "missing.png"
    run(capsys, str(good), "--label", "1", "--into", str(into))
    sources = [bad_text, blank, missing, dot, conflict, fresh]
    code, out, err = run(capsys, *map(str, sources), "--label", "4", "--into", str(into))
    assert code == 1 and out == [f"{fresh}: stored as {stored_path(into, fresh)}"]
    assert err == [
        f"digits: error: {bad_text}: not an image (or a format Pillow cannot read)",
        f"digits: error: {blank}: no ink found: the image is blank (contrast 0 of 255)",
        f"digits: error: {missing}: file not found",
        f"digits: error: {dot}: too little ink: draw a digit, not a dot",
        f"digits: error: {conflict}: this picture is already collected as a 1: 1/{stored_path(into, good).name}",
    ]
    assert sorted(label for _, label in Collection(into).pictures()) == [1, 4]
    assert sorted(p.name for p in into.rglob(".*")) == []  # no temporary left behind


def test_the_default_folder_is_data_collected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"one.png": digit_one_png()})
    code, out, _ = run(capsys, "one.png", "--label", "1")
    assert code == 0 and out[0].startswith(f"one.png: stored as {COLLECTED_DIR}/1/")
    assert [label for _, label in Collection(tmp_path / COLLECTED_DIR).pictures()] == [1]


@pytest.mark.parametrize("label", ["x", "10", "-1", ""])
def test_the_label_must_be_one_digit(label: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "any.png", "--label", label)
    assert code == 2 and f"--label: must be one digit 0-9, got {label!r}" in err[-1]


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [one] = write(tmp_path, {"one.png": digit_one_png()})
    into = tmp_path / "one.png" / "collected"
    message = f"digits: error: {into}: cannot make the collection folder: Not a directory"
    assert run(capsys, str(one), "--label", "1", "--into", str(into)) == (1, [], [message])
