"""The project's plot templates (.dvc/plots/*.json), as DVC fills them with the committed metrics
(`dvc plots show --json`): whole epochs and no smoothing slider, a confusion matrix whose errors show,
a calibration chart with its y = x line and its counts, per-digit points whose legend names the data sets,
robustness bars from just below the worst score. tests/integration/test_plots_report.py draws them."""

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from dvc_render.vega_templates import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
PLOTS = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
CHARTS = {name: spec for plot in PLOTS if isinstance(plot, dict) for name, spec in plot.items()}  # others: images
BUILT_IN = {template.DEFAULT_NAME for template in TEMPLATES}


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Plot id -> the Vega-Lite spec DVC made of its template and the workspace's data."""
    dvc = Path(sys.executable).parent / "dvc"
    command = [str(dvc), "plots", "show", "--json", "-o", str(tmp_path_factory.mktemp("plots"))]
    shown = json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    return {name: shown["data"][name][0]["content"] for name in CHARTS}


def parts(spec: object) -> Iterator[dict[str, Any]]:
    """Every object in a spec, the spec first: layers, concatenated views, encodings, marks..."""
    if isinstance(spec, dict):
        yield spec
        for value in spec.values():
            yield from parts(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from parts(value)


def test_the_custom_templates_are_the_ones_dvc_yaml_names() -> None:
    named = {spec["template"] for spec in CHARTS.values()}
    assert named - BUILT_IN == {path.stem for path in (ROOT / ".dvc" / "plots").glob("*.json")}
    assert not named & {"linear", "smooth"}  # DVC's templates with a smoothing slider


def test_dvc_fills_every_anchor(specs: dict[str, dict[str, Any]]) -> None:
    assert [name for name, spec in specs.items() if "<DVC_METRIC_" in json.dumps(spec)] == []


def test_no_chart_has_a_slider(specs: dict[str, dict[str, Any]]) -> None:
    sliders = [name for name, spec in specs.items() if any(p.get("input") == "range" for p in parts(spec))]
    assert sliders == []


def test_epoch_charts_tick_whole_epochs(specs: dict[str, dict[str, Any]]) -> None:
    epochs = [name for name, plot in CHARTS.items() if plot["template"] == "epochs"]
    assert len(epochs) == 2  # loss and accuracy
    for name in epochs:
        x = specs[name]["encoding"]["x"]
        assert (x["field"], x["axis"]) == ("step", {"tickMinStep": 1, "format": "d"})


def confusion_layers(specs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    (name,) = [name for name, plot in CHARTS.items() if plot["template"] == "confusion_errors"]
    return specs[name]["spec"]["layer"]


def test_confusion_matrix_colours_the_errors_on_a_log_scale_and_writes_every_count(
    specs: dict[str, dict[str, Any]],
) -> None:
    right, errors, counts = confusion_layers(specs)
    assert right["transform"] == [{"filter": "datum.right"}] and errors["transform"] == [{"filter": "!datum.right"}]
    assert errors["encoding"]["color"]["field"] == "images" and errors["encoding"]["color"]["scale"]["type"] == "log"
    assert counts["mark"]["type"] == "text" and counts["encoding"]["text"]["field"] == "images"


def test_calibration_has_the_diagonal_the_point_sizes_and_the_counts(specs: dict[str, dict[str, Any]]) -> None:
    (name,) = [name for name, plot in CHARTS.items() if plot["template"] == "calibration"]
    every = list(parts(specs[name]))
    diagonal = [p for p in every if p.get("data") == {"values": [{"p": 0}, {"p": 1}]}]
    assert len(diagonal) == 1 and diagonal[0]["encoding"]["x"]["field"] == diagonal[0]["encoding"]["y"]["field"]
    for channel in ("size", "text"):  # point size: images in the bin; and the count, written on its bar
        assert [p[channel]["field"] for p in every if isinstance(p.get(channel), dict)] == ["images"], channel
    rows = specs[name]["data"]["values"]
    assert rows and all({"lower", "upper", "images"} <= set(row) for row in rows)  # what the bars are drawn from


@pytest.mark.parametrize("name", [name for name, plot in CHARTS.items() if plot["template"] == "per_variant"])
def test_score_bars_start_just_below_the_worst_score(specs: dict[str, dict[str, Any]], name: str) -> None:
    """Robustness per variant, AUROC per kind of non-digit: not from 0, as DVC's bar_horizontal draws them (it
    stacks the bars): there 0.94 and 0.99 look alike."""
    spec = specs[name]
    x = spec["encoding"]["x"]
    assert x["scale"]["zero"] is False and "stack" not in x
    bars, written = spec["layer"]
    assert bars["mark"] == "bar" and bars["encoding"]["x2"] == {"field": "baseline"}  # with an x2, never stacked
    assert written["mark"]["type"] == "text" and written["encoding"]["text"]["field"] == x["field"]  # each score
    joined, baseline = spec["transform"]
    assert joined["joinaggregate"] == [
        {"op": "min", "field": x["field"], "as": "lowest"},
        {"op": "max", "field": x["field"], "as": "highest"},
    ]
    assert baseline["as"] == "baseline"

    def start(lowest: float, highest: float) -> float:  # the calculate expression reads the same in Python
        return eval(baseline["calculate"], {"max": max}, {"datum": SimpleNamespace(lowest=lowest, highest=highest)})

    scores = [row[x["field"]] for row in spec["data"]["values"]]
    assert 0.85 < start(min(scores), max(scores)) < min(scores)  # the committed scores: above 0.9, not 0 to 1
    # below the lowest score by a tenth of the range, at least 0.01 (so the worst score has a bar), never below 0
    for lowest, highest, expected in [(0.9427, 0.9971, 0.9327), (0.5, 0.9, 0.46), (0.5, 0.5, 0.49), (0.05, 0.9, 0)]:
        assert start(lowest, highest) == pytest.approx(expected)


def test_risk_coverage_draws_a_line_per_data_set_from_half_coverage(specs: dict[str, dict[str, Any]]) -> None:
    (name,) = [name for name, plot in CHARTS.items() if plot["template"] == "risk_coverage"]
    spec = specs[name]
    assert spec["mark"]["type"] == "line" and spec["encoding"]["strokeDash"]["field"] == "set"
    rows = spec["data"]["values"]
    assert {row["set"] for row in rows} == {"MNIST test", "UCI digits"}
    assert min(row["coverage"] for row in rows) >= 0.5 and max(row["coverage"] for row in rows) == 1.0


LABEL = re.compile(r"indexof\(datum\.series, '([^']+)'\) >= 0 \? '([^']+)'")


def series_names(spec: dict[str, Any]) -> list[str]:
    """What the per_digit template's two calculate transforms make of each row, as its legend shows them:
    the row's file (or score) name, then the first file name that it contains mapped to that file's label."""
    named, labelled = spec["transform"]
    assert named["as"] == labelled["as"] == spec["encoding"]["shape"]["field"] == "series"
    assert named["calculate"].startswith(
        "isValid(datum.filename) ? datum.filename : isValid(datum.field) ? datum.field"
    )
    labels = LABEL.findall(labelled["calculate"])
    assert labelled["calculate"] == " : ".join(
        [*(f"indexof(datum.series, '{file}') >= 0 ? '{label}'" for file, label in labels), "datum.series"]
    )
    names = []
    for row in spec["data"]["values"]:
        series = row.get("filename", row.get("field"))
        names.append(next((label for file, label in labels if file in series), series))
    return list(dict.fromkeys(names))


def test_per_digit_legends_name_the_data_sets_not_the_files(specs: dict[str, dict[str, Any]]) -> None:
    charts = {name: plot for name, plot in CHARTS.items() if plot["template"] == "per_digit"}
    assert len(charts) == 2
    for name, plot in charts.items():
        rows = specs[name]["data"]["values"]
        if len(plot["y"]) == 2:  # MNIST test vs UCI digits: one field of two files
            assert {row["filename"] for row in rows} == {"per_class.json", "uci_per_class.json"}  # what DVC names
            assert series_names(specs[name]) == ["MNIST test", "UCI digits"]
        else:  # precision, recall and F1 of one file
            assert series_names(specs[name]) == ["precision", "recall", "f1"]
        shape = specs[name]["encoding"]["shape"]
        assert shape["title"] is None and shape["sort"] is None  # in the order of the data, without a "filename"
