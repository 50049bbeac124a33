"""The picture files a command is given (`digits predict`, `digits collect`): folders are read one level
deep, keeping the files Pillow knows by extension; a file named outright is kept whatever its extension;
a missing path or a folder without images is a Failure in its place, so results keep the input order."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image


@dataclass(frozen=True)
class Failure:
    path: Path
    reason: str


def image_files(folder: Path) -> list[Path]:
    """The image files directly inside `folder`, by name; hidden files and subfolders are skipped."""
    extensions = set(Image.registered_extensions())  # ".png", ".jpg", ... lower case
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in extensions and not p.name.startswith(".") and p.is_file()
    )


def collect_inputs(paths: Sequence[Path]) -> list[Path | Failure]:
    """Expand folders into their image files; a missing path or an empty folder is a Failure."""
    inputs: list[Path | Failure] = []
    for path in paths:
        if path.is_dir():
            found = image_files(path)
            inputs.extend(found or [Failure(path, "no image files in this folder")])
        elif path.exists():
            inputs.append(path)
        else:
            inputs.append(Failure(path, "file not found"))
    return inputs
