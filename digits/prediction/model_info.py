"""What a model file holds, in one dictionary: `digits inspect` prints it, `digits serve` answers it at GET /model.

Kept out of checkpoint.py, which the train and evaluate stages depend on in dvc.yaml.
"""

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from digits.model.checkpoint import Checkpoint
from digits.model.networks import count_parameters


def describe(checkpoint: Checkpoint, path: Path) -> dict[str, Any]:
    return {
        "model": str(path),
        "architecture": checkpoint.architecture,
        "model_args": checkpoint.model_args,
        "parameters": count_parameters(checkpoint.model),
        "normalization": asdict(checkpoint.norm),
        "best_epoch": checkpoint.best_epoch,
        "train_params": checkpoint.train_params,
    }


def file_md5(path: Path) -> str:
    """The file's MD5 as hex, the hash dvc.lock records for it (DVC 3 hashes the bytes as they are)."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "md5").hexdigest()
