"""`digits collect DIR --sorted`: take back a folder a person sorted by hand, as `digits predict --unsure-to DIR`
lays it out: each image file in DIR/<d>/ is stored under the label d, the way `digits collect --label d` stores it
(digits/data/collect.py), and the image files still at the top of DIR are counted on one line and left alone.

What differs from `--label` is only where the label comes from: the folder a file sits in, not the command line.
Nothing in DIR is moved or removed, so running it again is safe (each picture is "already there").
"""

import sys
from collections.abc import Sequence
from pathlib import Path

from digits.data.collect import store_all
from digits.data.collection import DIGITS, Collection
from digits.data.inputs import Failure, image_files

NO_LABEL = -1  # the label beside a Failure: store_all reports it and never stores it


def sorting_problem(folder: Path, into: Path) -> str | None:
    """Why `folder` is not a folder sorted into <digit>/ subfolders, or None."""
    if not folder.exists():
        return "file not found"
    if not folder.is_dir():
        return "not a folder: --sorted takes folders whose pictures are sorted into <digit>/ subfolders"
    if folder.resolve() == into.resolve():  # its pictures are model views already: re-stored, they would change
        return "this is the collection itself (--into)"
    if not any((folder / str(digit)).is_dir() for digit in DIGITS):
        return "no folders 0-9 in it to take pictures from (`digits predict --unsure-to` makes them)"
    return None


def sorted_files(folder: Path, into: Path) -> list[tuple[Path | Failure, int]]:
    """(file, the digit of the folder it is in) for the image files in folder/0 .. folder/9, by digit then name;
    one Failure when `folder` is not a sorted folder."""
    if (problem := sorting_problem(folder, into)) is not None:
        return [(Failure(folder, problem), NO_LABEL)]
    return [
        (path, digit) for digit in DIGITS if (folder / str(digit)).is_dir() for path in image_files(folder / str(digit))
    ]


def unsorted_line(folder: Path) -> str:
    """How many image files are still at the top of `folder`: not sorted, so not collected."""
    left = len(image_files(folder))
    return f"{folder}: {left} picture{'s' * (left != 1)} left unsorted (not in {folder}/<digit>/, not collected)"


def run_collect_sorted(folders: Sequence[Path], into: Path) -> int:
    """Store the pictures sorted into each folder's <digit>/ subfolders in the collection `into`, then say on
    stderr how many each folder still holds unsorted; return how many failed."""
    collection = Collection(into)  # a folder that cannot be made: a PipelineError, before any file
    failures = store_all(collection, [pair for folder in folders for pair in sorted_files(folder, into)])
    for folder in folders:
        if sorting_problem(folder, into) is None:  # a folder that failed has had its error line
            print(unsorted_line(folder), file=sys.stderr, flush=True)
    return failures
