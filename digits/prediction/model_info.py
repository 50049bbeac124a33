"""What a model file holds, in one dictionary: `digits inspect` prints it, `digits serve` answers it at GET /model.

Kept out of checkpoint.py, which the train and evaluate stages depend on in dvc.yaml.
"""

import hashlib
import math
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
        "calibration": calibration(checkpoint),
        "train_params": checkpoint.train_params,
        "adaptation": checkpoint.adaptation,  # None: trained on MNIST alone, not adapted to collected pictures
    }


def calibration(checkpoint: Checkpoint) -> dict[str, float | str]:
    """The temperature and the decision thresholds; an infinite one (a model that never says "not a digit")
    as the string "-inf" or "inf", since JSON has no infinity."""
    return {k: v if math.isfinite(v) else str(v) for k, v in asdict(checkpoint.calibration).items()}


def file_md5(path: Path) -> str:
    """The file's MD5 as hex, the hash dvc.lock records for it (DVC 3 hashes the bytes as they are)."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "md5").hexdigest()
