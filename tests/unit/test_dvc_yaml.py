"""dvc.yaml agrees with the code: each stage's code deps are exactly the modules it imports,
its params are exactly its section's keys, and its outputs are the paths digits/core/paths.py declares."""

import ast
import re
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from digits.core import paths
from digits.core.params import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
DVC_YAML = yaml.safe_load((ROOT / "dvc.yaml").read_text())
STAGES = DVC_YAML["stages"]


def is_module(name: str) -> bool:
    return (ROOT / (name.replace(".", "/") + ".py")).is_file()


def imported_modules(module: str) -> set[str]:
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "digits":
            # `from digits.data import drawing` imports the module digits/data/drawing.py
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} if node.module else set()
            found |= {m for m in submodules if is_module(m)} or {node.module}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("digits.")}
    return found


def code_closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(imported_modules(current))
    return {m.replace(".", "/") + ".py" for m in seen}


def names(entries: list[object]) -> list[str]:
    return [next(iter(e)) if isinstance(e, dict) else e for e in entries]


def command_modules(cmd: str) -> list[str]:
    """The modules a stage command runs: every `-m NAME` (the train stage's launcher, then the stage)."""
    return re.findall(r"-m ([\w.]+)", cmd)


@pytest.mark.parametrize("stage", list(STAGES))
def test_code_deps_are_the_imported_modules(stage: str) -> None:
    modules = command_modules(STAGES[stage]["cmd"])
    assert f"stages.{stage}" in modules
    declared = {d for d in names(STAGES[stage]["deps"]) if d.endswith(".py")}
    assert declared == set().union(*map(code_closure, modules))


@pytest.mark.parametrize("stage", list(STAGES))
def test_templated_values_are_tracked_params(stage: str) -> None:
    """A `${key}` in a command comes from params.yaml: it must be one of the stage's params too."""
    templated = set(re.findall(r"\$\{([\w.]+)\}", STAGES[stage]["cmd"]))
    assert templated <= set(STAGES[stage].get("params", []))


def test_train_runs_under_the_launcher_with_its_process_count() -> None:
    cmd = STAGES["train"]["cmd"]
    assert command_modules(cmd) == ["digits.distributed.launch", "stages.train"]
    assert "--nproc-per-node ${train.processes}" in cmd


# Keys a stage reads from another stage's section: one knob for one meaning.
BORROWED = {
    "ood": ["evaluate.calibration_bins"],  # the UCI digits' ECE is binned as the test set's
    "ood_inputs": ["ood.seed"],  # the ood stage's pictures, drawn with its seed
    "collected": ["preprocess.mean", "preprocess.std"],  # the collected pictures are normalized as MNIST is
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_params_are_the_sections_keys(stage: str) -> None:
    """Each stage reads its own section (and what BORROWED names); a stage without one reads none."""
    expected = [f"{stage}.{f.name}" for f in fields(SECTIONS[stage])] if stage in SECTIONS else []
    expected += BORROWED.get(stage, [])
    assert sorted(STAGES[stage].get("params", [])) == sorted(expected)


def test_outputs_match_declared_paths() -> None:
    outs = {stage: names(spec["outs"]) for stage, spec in STAGES.items()}
    assert outs["download"] == [paths.RAW_DIR]
    assert outs["collected"] == [paths.COLLECTED_DIR, paths.COLLECTED_SPLITS_DIR]
    assert outs["preprocess"] == [paths.PROCESSED_DIR]
    assert outs["train"] == [paths.MNIST_MODEL, paths.TRAIN_LOG_DIR]
    assert outs["adapt"] == [paths.MODEL]
    assert outs["evaluate"] == [
        paths.TEST_METRICS,
        paths.SELECTIVE_METRICS,
        paths.RISK_COVERAGE,
        paths.PER_CLASS,
        paths.CONFUSION,
        paths.CALIBRATION,
        paths.ERRORS_IMAGE,
    ]
    assert outs["ood"] == [
        paths.OOD_METRICS,
        paths.UCI_PER_CLASS,
        paths.ROBUSTNESS_PLOT,
        paths.VARIANTS_IMAGE,
        paths.UCI_RISK_COVERAGE,
        paths.NOT_A_DIGIT_PLOT,
        paths.NON_DIGITS_IMAGE,
    ]
    data_deps = {stage: [d for d in names(spec["deps"]) if not d.endswith(".py")] for stage, spec in STAGES.items()}
    assert data_deps["preprocess"] == [paths.RAW_DIR]
    collected = f"{paths.COLLECTED_SPLITS_DIR}/{{}}.pt"
    processed = f"{paths.PROCESSED_DIR}/{{}}.pt"
    assert data_deps["train"] == [processed.format("train"), processed.format("val")]
    train_val = [processed.format("train"), processed.format("val")]
    assert data_deps["adapt"] == [paths.MNIST_MODEL, *train_val, collected.format("train")]
    assert data_deps["evaluate"] == [paths.MODEL, processed.format("test"), collected.format("holdout")]
    assert data_deps["ood"] == [paths.MODEL, f"{paths.PROCESSED_DIR}/test.pt", paths.OOD_INPUTS]
    assert data_deps["ood_inputs"] == [f"{paths.PROCESSED_DIR}/test.pt"] and outs["ood_inputs"] == [paths.OOD_INPUTS]
