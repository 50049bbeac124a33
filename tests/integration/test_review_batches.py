"""Review in batches, the walk of docs/collected-data.md in real processes: `digits predict --unsure-to DIR` sets
aside what the model is not sure of or calls no digit, a person moves each into DIR/<digit>/, `digits collect DIR
--sorted` stores them under those digits. On tests/decisive_model.py's pictures, and a JPEG of its blob."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from digits.data.collection import Collection, encode_png
from digits.data.imageprep import model_view
from tests.decisive_model import blob_png, decisive_model, write_pictures
from tests.serve_support import encode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return decisive_model(tmp_path_factory.mktemp("model") / "model.pt")


def digits(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "digits.cli", *map(str, args)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def pictures(folder: Path) -> dict[str, Path]:
    """The decisive model's scan (a 7), blob (unsure) and letter (not a digit), and the blob again as a JPEG
    (unsure too: a picture the person leaves unsorted)."""
    paths = write_pictures(folder)
    paths["unsure_jpeg"] = folder / "blob.jpg"
    paths["unsure_jpeg"].write_bytes(encode(Image.open(io.BytesIO(blob_png())).convert("RGB"), "JPEG", quality=90))
    return paths


def top_files(review: Path) -> list[str]:
    return sorted(p.name for p in review.iterdir() if p.is_file())


def test_set_aside_sorted_by_hand_and_collected_under_those_digits(model_file: Path, tmp_path: Path) -> None:
    paths = pictures(tmp_path / "scans")
    originals = {name: path.read_bytes() for name, path in paths.items()}
    review, into = tmp_path / "review", tmp_path / "collected"
    predicted = digits("predict", "--model", model_file, "--unsure-to", review, tmp_path / "scans")
    assert predicted.returncode == 0, predicted.stderr
    assert len(predicted.stdout.splitlines()) == 4 and "Traceback" not in predicted.stderr
    assert predicted.stderr.startswith(f"set aside 3 pictures in {review}: move each into {review}/<digit>/")
    copies = {Path(name).suffix if name.startswith("blob.") else "letter": name for name in top_files(review)}
    assert len(copies) == len(top_files(review)) == 3  # blob.<hash>.png, blob.<hash>.jpg, letter.<hash>.png
    blob, jpeg, letter = copies[".png"], copies[".jpg"], copies["letter"]

    # The person: the blob is a 9, the letter a 4 written open (the model's likeliest digit for it); the JPEG stays
    (review / blob).rename(review / "9" / blob)
    (review / letter).rename(review / "4" / letter)
    again = digits("predict", "--model", model_file, "--unsure-to", review, tmp_path / "scans")
    assert again.stderr.startswith(f"set aside 3 pictures in {review} (3 of them already there): ")
    assert top_files(review) == [jpeg]  # nothing copied again, sorted or not

    collected = digits("collect", review, "--sorted", "--into", into)
    assert collected.returncode == 0, collected.stderr
    assert collected.stderr == f"{review}: 1 picture left unsorted (not in {review}/<digit>/, not collected)\n"
    stored = sorted((label, path.read_bytes()) for path, label in Collection(into).pictures())
    assert stored == [(4, encode_png(model_view(paths["not_a_digit"]))), (9, encode_png(model_view(paths["unsure"])))]
    assert {name: path.read_bytes() for name, path in paths.items()} == originals  # never moved or changed
    assert digits("collect", review, "--sorted", "--into", into).stdout.count("already there as") == 2


def test_a_folder_that_cannot_be_made_and_label_with_sorted_are_refused(model_file: Path, tmp_path: Path) -> None:
    paths = pictures(tmp_path / "scans")
    review = paths["digit"] / "review"  # under a file
    refused = digits("predict", "--model", model_file, "--unsure-to", review, paths["unsure"])
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == f"digits: error: {review}: cannot make the folder to sort into: Not a directory\n"
    both = digits("collect", tmp_path, "--label", "4", "--sorted")
    assert both.returncode == 2 and "Traceback" not in both.stderr
    assert both.stderr.splitlines()[-1] == "digits collect: error: argument --sorted: not allowed with argument --label"
