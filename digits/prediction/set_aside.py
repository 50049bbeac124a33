"""`digits predict --unsure-to DIR`: copy the pictures a person should look at into a folder where they sort
them by hand, moving each into DIR/<digit>/, for `digits collect DIR --sorted` to take back.

Both refusals are set aside, not only "not sure": a "not a digit" answer is as often a digit in a hand the model
does not know (a crossed 7, a backwards 3) as a scribble, and only a person can tell which. What is no digit is
left at the top of DIR, or deleted; `digits collect --sorted` counts and skips it.

A copy is the original file's bytes, named `<original stem>.<first 12 hex digits of its SHA-256><suffix>`: names
never collide (the hash), say where a copy came from (the stem), and the same content under the same name is one
copy, so running the command again, even after some copies were sorted, adds nothing. The original is only read.
"""

import hashlib
import io
from pathlib import Path

from PIL import Image

from digits.core.atomic import atomic_file
from digits.core.errors import PipelineError
from digits.data.collection import DIGITS

REVIEWED = ("unsure", "not_a_digit")  # the decisions (digits/model/confidence.py) a person should look at
HASH_CHARS = 12  # 48 bits: no two pictures of one batch share them by chance


def extension_for(name: str, data: bytes) -> str:
    """The name's suffix when Pillow knows it, else the one of the format the bytes are in: `digits collect`
    reads a folder by extension, so a copy of `scan` (a PNG named outright, no suffix) must end in .png."""
    known = Image.registered_extensions()  # ".png" -> "PNG", ...
    suffix = Path(name).suffix
    if suffix.lower() in known:
        return suffix
    with Image.open(io.BytesIO(data)) as image:  # predict decoded it: a readable image, or OSError if it changed
        kind = image.format or ""
    own = f".{kind.lower()}"  # .png, .jpeg, .bmp: most formats' own name is one of their extensions
    return own if own in known else next((ext for ext, fmt in known.items() if fmt == kind), own)


def copy_name(path: Path, data: bytes) -> str:
    """`blob.png` -> `blob.3fa4c2e1b0d9.png`; a name that already ends in its own hash is kept, so predicting
    DIR itself again names each copy as it is."""
    short = hashlib.sha256(data).hexdigest()[:HASH_CHARS]
    suffix = extension_for(path.name, data)
    stem = path.name.removesuffix(suffix) if path.name.endswith(suffix) else path.name
    return f"{stem}{suffix}" if stem.endswith(f".{short}") else f"{stem}.{short}{suffix}"


class SortingFolder:
    """DIR, with its ten folders DIR/0 .. DIR/9 to sort into; made when it is opened."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.copied = self.present = 0
        try:
            for digit in DIGITS:
                (root / str(digit)).mkdir(parents=True, exist_ok=True)
        except OSError as err:  # a file in the way, no permission: one line, before any picture is read
            raise PipelineError(f"{root}: cannot make the folder to sort into: {err.strerror or err}") from None

    def find(self, name: str) -> Path | None:
        """Where a copy of that name is: at the top, still unsorted, or already sorted under a digit."""
        places = [self.root / name, *(self.root / str(digit) / name for digit in DIGITS)]
        return next((place for place in places if place.exists()), None)

    def set_aside(self, path: Path) -> Path:
        """Copy `path` to the top of the folder, unless a copy is there or sorted already; where it is.
        OSError when the file cannot be read or the copy written."""
        data = path.read_bytes()
        name = copy_name(path, data)
        if (found := self.find(name)) is not None:
            self.present += 1
            return found
        target = self.root / name
        with atomic_file(target) as temporary:  # a hidden temporary, renamed: a half copy is never seen
            temporary.write_bytes(data)
        self.copied += 1
        return target

    def summary(self) -> str:
        total = self.copied + self.present
        already = f" ({self.present} of them already there)" if self.present else ""
        return (
            f"set aside {total} picture{'s' * (total != 1)} in {self.root}{already}: "
            f"move each into {self.root}/<digit>/, then digits collect {self.root} --sorted"
        )
