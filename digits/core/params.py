"""params.yaml, one frozen dataclass per stage section, validated on load.

Every knob lives in params.yaml (DVC tracks it), so the dataclasses have no defaults:
a missing key is an error, as are unknown keys, wrong types and out-of-range values.
"""

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from digits.core.errors import PipelineError
from digits.core.validate import check_mapping, coerce

MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
Device = Literal["auto", "cpu", "cuda"]
# bfloat16 autocast in training: none; on a CUDA GPU; or wherever the hardware computes bf16 (also CPUs
# with AMX or AVX512-BF16). "none", not "off": YAML reads a bare off as false.
Amp = Literal["none", "cuda", "hardware"]


def bounds(**limits: float) -> Any:
    """Field metadata for a numeric range: ge/gt/le/lt (also applied to list items)."""
    return field(metadata=limits)


@dataclass(frozen=True)
class DownloadParams:
    mirrors: tuple[str, ...] = field(metadata={"nonempty": True})  # URLs or local dirs, tried in order
    timeout: float = bounds(gt=0, le=600)  # seconds without data before a request gives up
    retries: int = bounds(ge=0, le=10)  # extra attempts per mirror after a transient failure
    sha256: dict[str, str] = field(metadata={"keys": MNIST_FILES, "sha256": True})  # of the payload


@dataclass(frozen=True)
class PreprocessParams:
    val_size: int = bounds(ge=1, le=30000)  # images held out of the 60,000 for validation
    seed: int = bounds(ge=0)
    mean: float = bounds(ge=-10, le=10)  # normalized pixel = (pixel / 255 - mean) / std
    std: float = bounds(gt=0, le=10)


@dataclass(frozen=True)
class CollectedParams:
    holdout: float = bounds(ge=0, le=1)  # share of collected pictures held out to measure (by content hash)


@dataclass(frozen=True)
class TrainParams:
    model: Literal["mlp", "cnn"]
    mlp_hidden: tuple[int, ...] = bounds(ge=1, le=8192)  # hidden layer widths
    cnn_channels: tuple[int, ...] = field(metadata={"ge": 1, "le": 1024, "length": 4})  # see models.CNN
    members: int = bounds(ge=1, le=16)  # networks trained side by side whose probabilities are averaged
    epochs: int = bounds(ge=1, le=1000)
    batch_size: int = bounds(ge=2, le=65536)
    optimizer: Literal["sgd", "adam", "adamw"]
    lr: float = bounds(gt=0, le=10)  # peak learning rate
    momentum: float = bounds(ge=0, lt=1)  # SGD momentum; Adam's beta1
    weight_decay: float = bounds(ge=0, le=1)
    schedule: Literal["constant", "onecycle"]
    label_smoothing: float = bounds(ge=0, lt=1)
    max_shift: int = bounds(ge=0, le=8)  # pixels of random translation per training image
    max_rotation: float = bounds(ge=0, le=45)  # degrees of random rotation per training image
    max_scale: float = bounds(ge=0, le=0.5)  # random zoom by a factor in [1 - max_scale, 1 + max_scale]
    max_stretch: float = bounds(ge=0, le=0.9)  # random width change by a factor in [1 - s, 1 + s]
    max_shear: float = bounds(ge=0, le=45)  # degrees of random slant
    box_fill: float = bounds(ge=0, le=1)  # share of images whose ink box is stretched to fill 20x20
    stroke_width: float = bounds(ge=0, le=1)  # share of images with thinner or thicker strokes
    elastic: float = bounds(ge=0, le=5)  # pixels: size of a smooth random wobble
    speckle: float = bounds(ge=0, le=0.5)  # largest share of an image's pixels set to ink or background
    blur: float = bounds(ge=0, le=1)  # share of images blurred (blended towards a 1 px Gaussian)
    low_resolution: float = bounds(ge=0, le=1)  # share of images shrunk to 9..15 px and enlarged back
    plain_epochs: int = bounds(ge=0, le=1000)  # last epochs with only max_shift, max_rotation and max_scale
    ema_decay: float = bounds(ge=0, lt=1)  # 0 turns weight averaging off
    outlier_share: float = bounds(ge=0, le=1)  # synthetic non-digits added to each batch, per batch_size
    outlier_weight: float = bounds(ge=0, le=10)  # weight of their loss: cross-entropy to the uniform distribution
    digit_recall: float = bounds(gt=0, le=1)  # share of validation digits above the not-a-digit threshold
    answer_coverage: float = bounds(gt=0, le=1)  # share of validation digits answered as sure digits
    tta_degrees: float = bounds(ge=0, le=45)  # answers average the picture's logits and those of it turned by +- this
    seed: int = bounds(ge=0)
    device: Device
    processes: int = bounds(ge=1, le=1024)  # training processes on this machine (torchrun); see digits/distributed
    threads: int | Literal["auto"] = bounds(ge=1, le=1024)  # CPU threads per process
    amp: Amp  # bfloat16 autocast in training (see Amp)


@dataclass(frozen=True)
class AdaptParams:
    steps: int = bounds(ge=0, le=100_000)  # fine-tuning steps on the collected pictures (0: the MNIST model as is)
    batch_size: int = bounds(ge=2, le=65536)
    collected_share: float = bounds(gt=0, lt=1)  # of each batch, collected pictures; the rest MNIST's (replay)
    lr: float = bounds(gt=0, le=10)  # AdamW's learning rate at the first step, decaying to 0 (cosine)
    blend: float = bounds(gt=0, le=1)  # share of the fine-tune's change kept (1: all of it); see training/adapt.py
    seed: int = bounds(ge=0)


@dataclass(frozen=True)
class EvaluateParams:
    batch_size: int = bounds(ge=1, le=65536)
    device: Device
    calibration_bins: int = bounds(ge=2, le=100)  # equal-width confidence bins for ECE and its plot
    error_examples: int = bounds(ge=0, le=100)  # misclassified test digits shown in errors.png


@dataclass(frozen=True)
class OodParams:
    batch_size: int = bounds(ge=1, le=65536)
    device: Device
    seed: int = bounds(ge=0)  # of the robustness suite's random draws (digits/evaluation/ood/variants.py)


SECTIONS = {
    "download": DownloadParams,
    "preprocess": PreprocessParams,
    "collected": CollectedParams,
    "train": TrainParams,
    "adapt": AdaptParams,
    "evaluate": EvaluateParams,
    "ood": OodParams,
}
T = TypeVar("T")


class ParamsLoader(yaml.SafeLoader):
    """PyYAML reads `1e-3` as a string (YAML 1.1); DVC reads it as a float (YAML 1.2). Agree with DVC."""


ParamsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def read_params_file(path: Path) -> dict[str, Any]:
    """The whole params.yaml as a mapping; unknown sections are rejected."""
    try:
        raw = yaml.load(path.read_text(), Loader=ParamsLoader)  # noqa: S506 (a SafeLoader)
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found") from None
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise PipelineError(f"{path}: not valid YAML{line}: {getattr(err, 'problem', err)}") from None
    check_mapping(raw, str(path), known=SECTIONS)
    return raw


def parse_section(cls: type[T], raw: Any, section: str) -> T:
    """Validate one section's mapping into its dataclass (raises PipelineError)."""
    check_mapping(raw, section, known=[f.name for f in fields(cls)], required=True)
    hints = cls.__annotations__
    values = {f.name: coerce(raw[f.name], hints[f.name], f"{section}.{f.name}", f.metadata) for f in fields(cls)}
    return cls(**values)


def load_params(path: Path, section: str) -> Any:
    """Load and validate one stage's section of params.yaml."""
    raw = read_params_file(path)
    if section not in raw:
        raise PipelineError(f"{path}: missing section '{section}'")
    try:
        return parse_section(SECTIONS[section], raw[section], section)
    except PipelineError as err:
        raise PipelineError(f"{path}: {err}") from None
