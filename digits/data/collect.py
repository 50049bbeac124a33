"""`digits collect`: import image files (a scanned sheet of 7s, photos of digits) into a collection of
corrected digits, as `digits serve --collect` stores what people correct on its page: each picture's
28x28 model view, under its label, named by its hash (digits/data/collection.py).

Folders are read one level deep, as `digits predict` reads them. One line per file on stdout; a file
that cannot be stored gets one error line on stderr and the others go on. Each store is whole or
nothing, and storing a picture again is recognized, so running the command again is safe.
"""

import sys
from collections.abc import Sequence
from pathlib import Path

from digits.data.collection import Collection, CollectionError
from digits.data.imageprep import model_view
from digits.data.inputs import Failure, collect_inputs
from digits.data.pictures import BadImageError


def store_file(collection: Collection, path: Path, label: int) -> str:
    """Store one file; the line to print. BadImageError or CollectionError when it cannot be stored."""
    stored = collection.store(model_view(path), label)  # the user's own files: pictures.MAX_PIXELS, the larger limit
    return f"{path}: {'stored as' if stored.created else 'already there as'} {collection.root / stored.path}"


def store_all(collection: Collection, labelled: Sequence[tuple[Path | Failure, int]]) -> int:
    """Store each (file, label), a line each, an error line per file that cannot be stored; how many failed."""
    failures = 0
    for item, label in labelled:
        try:
            if isinstance(item, Failure):  # missing, or a folder without images
                raise BadImageError(item.reason)
            print(store_file(collection, item, label), flush=True)
        except (BadImageError, CollectionError) as err:
            failures += 1
            where = item.path if isinstance(item, Failure) else item
            print(f"digits: error: {where}: {err}", file=sys.stderr, flush=True)
    return failures


def run_collect(paths: Sequence[Path], label: int, into: Path) -> int:
    """Store each image under `label` in the collection `into`; return how many failed."""
    collection = Collection(into)  # a folder that cannot be made: a PipelineError, before any file
    return store_all(collection, [(item, label) for item in collect_inputs(paths)])
