"""Write outputs to a temporary path and rename them into place, so a crash or a kill
never leaves a half-written file where DVC (or the next stage) would take it as done."""

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# mkstemp/mkdtemp create private (0600/0700) entries; outputs get the usual umask-based modes.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success rename it onto `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `target`; on success it replaces `target` whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        yield staging
        os.chmod(staging, 0o777 & ~_UMASK)
        if target.exists():
            old = staging.with_name(staging.name + ".old")
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old)
        else:
            os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_text(target: Path, text: str) -> None:
    with atomic_file(target) as tmp:
        tmp.write_text(text)


def write_json(target: Path, data: dict | list) -> None:
    """Dicts indented; lists of records one per line, so git diffs of plot data stay readable."""
    text = json.dumps(data, indent=2) if isinstance(data, dict) else "[\n" + ",\n".join(map(json.dumps, data)) + "\n]"
    write_text(target, text + "\n")


def save_record(record: object, path: Path) -> None:
    """torch.save through a file object: the archive's inner folder is then always 'archive',
    not the (random) temporary file name, so equal records give byte-identical files."""
    import torch

    with path.open("wb") as out:
        torch.save(record, out)
