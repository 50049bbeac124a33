"""Self-describing model files: the weights plus everything needed to rebuild and feed the model.

A checkpoint holds the architecture name and arguments, the input normalization the model was
trained with, the train params, the selected epoch and the calibration (the temperature and the
decision thresholds, digits/model/confidence.py), so `evaluate` and `predict` need only the file. A model
fine-tuned on collected pictures (the `adapt` stage) also records how: its `adaptation`.
It loads with torch.load(weights_only=True): no code in it ever runs.
"""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from torch import nn

from digits.core.atomic import atomic_file, save_record
from digits.core.errors import PipelineError
from digits.data.splits import Normalization, safe_torch_load
from digits.model.confidence import Calibrated, Calibration
from digits.model.networks import build_model
from digits.model.restore import restore_hint

FORMAT = "digits.checkpoint.v2"  # v2: + calibration
KEYS = {
    "format",
    "architecture",
    "model_args",
    "normalization",
    "train_params",
    "best_epoch",
    "calibration",
    "state_dict",
}
OPTIONAL_KEYS = {"adaptation"}  # absent from a model trained on MNIST alone: its file is as before adapt existed


@dataclass(frozen=True)
class Checkpoint:
    model: nn.Module  # in eval mode, on the CPU; its logits are calibrated (divided by the temperature)
    architecture: str
    model_args: dict[str, Any]
    norm: Normalization
    train_params: dict[str, Any]
    best_epoch: int
    calibration: Calibration
    adaptation: dict[str, Any] | None  # the adapt stage's params and picture count; None: not adapted


def save_checkpoint(
    path: Path,
    model: nn.Module,
    architecture: str,
    model_args: dict[str, Any],
    norm: Normalization,
    train_params: Any,
    best_epoch: int,
    calibration: Calibration,
    adaptation: dict[str, Any] | None = None,
) -> None:
    """`train_params`: the TrainParams the weights were trained with, or the mapping a checkpoint recorded
    of them (the adapt stage passes its base model's on)."""
    record = {
        "format": FORMAT,
        "architecture": architecture,
        "model_args": model_args,
        "normalization": asdict(norm),
        "train_params": train_params if isinstance(train_params, dict) else asdict(train_params),
        "best_epoch": best_epoch,
        "calibration": asdict(calibration),
        **({"adaptation": adaptation} if adaptation else {}),
        # contiguous CPU copies, so the file does not depend on the device or memory layout used
        "state_dict": {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
    }
    with atomic_file(path) as tmp:
        save_record(record, tmp)


def load_checkpoint(path: Path) -> Checkpoint:
    """Rebuild the model a checkpoint describes; a foreign or corrupt file is one PipelineError line."""
    if not path.exists():  # say how to get it back: `dvc checkout`, `dvc pull` or `dvc repro`
        raise PipelineError(f"{path}: file not found; {restore_hint(path)}")
    hint = "run `dvc repro` to train one"
    record = safe_torch_load(path, f"model checkpoint ({hint})")
    if isinstance(record, dict) and record.get("format") == "digits.checkpoint.v1":
        raise PipelineError(f"{path}: a checkpoint from before calibration (v1); {hint} again")
    if (
        not isinstance(record, dict)
        or record.get("format") != FORMAT
        or not KEYS <= set(record) <= KEYS | OPTIONAL_KEYS
    ):
        raise PipelineError(f"{path}: not a model checkpoint of this project ({FORMAT}); {hint}")
    try:
        model = build_model(record["architecture"], record["model_args"])
        model.load_state_dict(record["state_dict"])
        norm = Normalization(**record["normalization"])
        calibration = Calibration(**record["calibration"])
    except (PipelineError, RuntimeError, TypeError) as err:
        reason = str(err).strip().splitlines()[0][:160]
        raise PipelineError(
            f"{path}: weights do not fit the architecture the file declares: {reason}; {hint}"
        ) from None
    model = Calibrated(model, calibration, norm).eval()
    args = record["architecture"], record["model_args"], norm, record["train_params"], record["best_epoch"]
    return Checkpoint(model, *args, calibration, record.get("adaptation"))
