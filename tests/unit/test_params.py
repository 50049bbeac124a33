"""params.yaml loading: the shipped file is valid; every kind of mistake is one clear error."""

import re
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from digits.core.errors import PipelineError
from digits.core.params import SECTIONS, TrainParams, load_params

ROOT = Path(__file__).resolve().parents[2]


def write_params(tmp_path: Path, edit: dict[str, dict[str, object]] | None = None, text: str | None = None) -> Path:
    path = tmp_path / "params.yaml"
    if text is not None:
        path.write_text(text)
        return path
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for section, changes in (edit or {}).items():
        for key, value in changes.items():
            if value is DELETE:
                del params[section][key]
            else:
                params.setdefault(section, {})[key] = value
    path.write_text(yaml.safe_dump(params))
    return path


DELETE = object()


@pytest.mark.parametrize("section", list(SECTIONS))
def test_shipped_params_load(section: str) -> None:
    loaded = load_params(ROOT / "params.yaml", section)
    assert isinstance(loaded, SECTIONS[section])


def test_values_are_canonical(tmp_path: Path) -> None:
    train = load_params(write_params(tmp_path, {"train": {"lr": 1, "cnn_channels": [8, 16, 32, 32]}}), "train")
    assert isinstance(train, TrainParams)
    assert train.lr == 1.0 and isinstance(train.lr, float)
    assert train.cnn_channels == (8, 16, 32, 32)


def test_scientific_notation_is_a_float_as_dvc_reads_it(tmp_path: Path) -> None:
    text = (ROOT / "params.yaml").read_text().replace("lr: 0.006", "lr: 6e-3")
    assert "lr: 6e-3" in text
    assert load_params(write_params(tmp_path, text=text), "train").lr == pytest.approx(0.006)


@pytest.mark.parametrize("threads", ["auto", 1, 4])
def test_threads_accepts_auto_or_a_count(tmp_path: Path, threads: object) -> None:
    assert load_params(write_params(tmp_path, {"train": {"threads": threads}}), "train").threads == threads


BAD_VALUES = [
    ("train", "lr", -0.1, "train.lr: must be > 0, got -0.1"),
    ("train", "lr", "fast", "train.lr: must be float, got str 'fast'"),
    ("train", "epochs", 2.5, "train.epochs: must be int, got float 2.5"),
    ("train", "epochs", True, "train.epochs: must be int, got bool True"),
    ("train", "epochs", 0, "train.epochs: must be >= 1, got 0"),
    ("train", "model", "resnet", "train.model: must be one of 'mlp', 'cnn', got str 'resnet'"),
    ("train", "threads", "many", "train.threads: must be int or one of ['auto'], got str 'many'"),
    ("train", "threads", 0, "train.threads: must be >= 1, got 0"),
    ("train", "processes", 0, "train.processes: must be >= 1, got 0"),
    ("train", "processes", "auto", "train.processes: must be int, got str 'auto'"),
    ("train", "cnn_channels", [8, 16], "train.cnn_channels: must have 4 items, got 2"),
    ("train", "cnn_channels", [8, 0, 16, 16], "train.cnn_channels[1]: must be >= 1, got 0"),
    ("train", "mlp_hidden", 128, "train.mlp_hidden: must be a list of int, got int 128"),
    ("train", "amp", True, "train.amp: must be one of 'none', 'cuda', 'hardware', got bool True"),
    ("train", "label_smoothing", 1.0, "train.label_smoothing: must be < 1, got 1.0"),
    ("train", "device", "tpu", "train.device: must be one of 'auto', 'cpu', 'cuda', got str 'tpu'"),
    ("train", "box_fill", 1.5, "train.box_fill: must be <= 1, got 1.5"),
    ("train", "speckle", -0.1, "train.speckle: must be >= 0, got -0.1"),
    ("ood", "seed", -1, "ood.seed: must be >= 0, got -1"),
    ("ood", "device", "gpu", "ood.device: must be one of 'auto', 'cpu', 'cuda', got str 'gpu'"),
    ("preprocess", "std", 0, "preprocess.std: must be > 0, got 0.0"),
    ("preprocess", "val_size", -5, "preprocess.val_size: must be >= 1, got -5"),
    ("download", "mirrors", [], "download.mirrors: must not be empty"),
    ("download", "mirrors", "http://x/", "download.mirrors: must be a list of str, got str 'http://x/'"),
    ("download", "timeout", 0, "download.timeout: must be > 0, got 0.0"),
    (
        "download",
        "sha256",
        {"train-images-idx3-ubyte": "abc"},
        "download.sha256: missing key 'train-labels-idx1-ubyte'",
    ),
    ("evaluate", "batch_size", None, "evaluate.batch_size: must be int, got nothing"),
]


@pytest.mark.parametrize(
    ("section", "key", "value", "message"), BAD_VALUES, ids=[f"{s}.{k}={v!r}" for s, k, v, _ in BAD_VALUES]
)
def test_bad_values_name_the_key(tmp_path: Path, section: str, key: str, value: object, message: str) -> None:
    path = write_params(tmp_path, {section: {key: value}})
    with pytest.raises(PipelineError) as caught:
        load_params(path, section)
    assert str(caught.value) == f"{path}: {message}"
    assert "\n" not in str(caught.value)


def test_bad_hash_digest(tmp_path: Path) -> None:
    hashes = yaml.safe_load((ROOT / "params.yaml").read_text())["download"]["sha256"]
    hashes["t10k-labels-idx1-ubyte"] = "XYZ"
    with pytest.raises(PipelineError, match=r"download\.sha256\.t10k-labels-idx1-ubyte: must be a 64-digit"):
        load_params(write_params(tmp_path, {"download": {"sha256": hashes}}), "download")


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"train: unknown key 'lrr' \(did you mean 'lr'\?\)"):
        load_params(write_params(tmp_path, {"train": {"lrr": 0.1}}), "train")


def test_missing_key(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="train: missing key 'epochs'"):
        load_params(write_params(tmp_path, {"train": {"epochs": DELETE}}), "train")


def test_misspelled_section(tmp_path: Path) -> None:
    text = (ROOT / "params.yaml").read_text().replace("\ntrain:", "\ntrian:")
    with pytest.raises(PipelineError, match=r"unknown key 'trian' \(did you mean 'train'\?\)"):
        load_params(write_params(tmp_path, text=text), "evaluate")


def test_section_that_is_not_a_mapping(tmp_path: Path) -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["evaluate"] = 3
    path = write_params(tmp_path, text=yaml.safe_dump(params))
    with pytest.raises(PipelineError, match="evaluate: must be a mapping of keys to values, got int 3"):
        load_params(path, "evaluate")


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write_params(tmp_path, text="train:\n  lr: [0.1\n  epochs: 3\n")
    with pytest.raises(PipelineError, match=r"params\.yaml: not valid YAML at line \d+"):
        load_params(path, "train")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="file not found"):
        load_params(tmp_path / "params.yaml", "train")


def every_key() -> list[tuple[str, str]]:
    return [(section, f.name) for section, cls in SECTIONS.items() for f in fields(cls)]


def out_of_range_cases() -> list[tuple[str, str, object]]:
    """For each key with bounds, a value just outside them (int or float, as the key takes)."""
    cases = []
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            limits, integral = f.metadata, "int" in str(f.type)
            below = limits.get("ge", limits.get("gt"))
            above = limits.get("le", limits.get("lt"))
            step = 1 if integral else 1e-3
            if below is not None:
                value = below - step if "ge" in limits else below
                cases.append((section, f.name, [value] * 4 if "tuple" in str(f.type) else value))
            if above is not None:
                value = above + step if "le" in limits else above
                cases.append((section, f.name, [value] * 4 if "tuple" in str(f.type) else value))
    return cases


@pytest.mark.parametrize(("section", "key"), every_key())
def test_every_key_rejects_a_wrong_type(tmp_path: Path, section: str, key: str) -> None:
    takes_mapping = "dict" in str(SECTIONS[section].__annotations__[key])
    path = write_params(tmp_path, {section: {key: ["a", "list"] if takes_mapping else {"a": "mapping"}}})
    with pytest.raises(PipelineError) as caught:
        load_params(path, section)
    assert str(caught.value).startswith(f"{path}: {section}.{key}: must be ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("section", "key"), every_key())
def test_every_key_is_required(tmp_path: Path, section: str, key: str) -> None:
    with pytest.raises(PipelineError, match=f"{section}: missing key '{key}'"):
        load_params(write_params(tmp_path, {section: {key: DELETE}}), section)


@pytest.mark.parametrize(("section", "key", "value"), out_of_range_cases())
def test_every_bounded_key_rejects_out_of_range(tmp_path: Path, section: str, key: str, value: object) -> None:
    with pytest.raises(PipelineError, match=rf"{section}\.{key}(\[0\])?: must be (>=|>|<=|<) "):
        load_params(write_params(tmp_path, {section: {key: value}}), section)


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_section_rejects_unknown_keys_and_misspelling(tmp_path: Path, section: str) -> None:
    with pytest.raises(PipelineError, match=f"{section}: unknown key 'surprise'"):
        load_params(write_params(tmp_path, {section: {"surprise": 1}}), section)
    text = re.sub(rf"^{section}:", f"{section}s:", (ROOT / "params.yaml").read_text(), flags=re.MULTILINE)
    with pytest.raises(PipelineError, match=f"unknown key '{section}s' \\(did you mean '{section}'\\?\\)"):
        load_params(write_params(tmp_path, text=text), section)
