"""`dvc plots show` and `dvc plots diff` of a real run, opened in headless Chromium with no network: every
vega chart renders, from the offline page that .dvc/config names (digits/evaluation/plots_template.py). DVC's default
page, which loads its scripts from a CDN, stays blank in the same browser: proof that it was offline.
What the charts say is read back from the ARIA labels vega writes into their SVG (.dvc/plots/*.json):
whole epochs from 1, every error of the confusion matrix, the images of each calibration bin, the baseline of the
robustness bars and the data sets the per-digit legend names."""

import csv
import functools
import json
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from dvc_render.html import PAGE_HTML
from PIL import Image

from tests.integration.pipeline_repo import PipelineRepo, Run

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium; .ci/run does)")

BROWSER_FLAGS = [
    *("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", "--disable-sync"),
    *("--disable-background-networking", "--disable-component-update", "--host-resolver-rules=MAP * ~NOTFOUND"),
    "--virtual-time-budget=10000",  # let the page's scripts run (and vega's timers fire) before the dump
    *("--enable-logging=stderr", "--v=0"),  # the page's console messages, on stderr
]
CONSOLE = re.compile(r':CONSOLE(?::\d+)?\] "(.*)", source: file://')
COLORED_PIXELS_PER_CHART = 500  # chart lines and cells are colored; axes, text, grids and the digit images grey


@functools.cache
def no_network() -> list[str]:
    """`unshare --net` where it works (as root): the browser then has no network interface at all."""
    probe = ["unshare", "--net", "true"]
    works = shutil.which("unshare") and subprocess.run(probe, capture_output=True).returncode == 0
    return probe[:2] if works else []


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [*no_network(), CHROMIUM, *BROWSER_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


class Page(HTMLParser):
    """What a page loads (src and href attributes), its inline scripts, and per element id in `ids`: the
    element's classes and the (width, height) of each vega marks canvas or svg inside it."""

    def __init__(self, html: str, ids: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.sources: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self.charts: dict[str, tuple[list[str], list[tuple[float, float]]]] = {}
        self.ids, self.inside, self.depth, self.tag = set(ids), "", 0, ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr, self.tag = {k: v or "" for k, v in attrs}, tag
        self.sources += [(tag, attr[k]) for k in ("src", "href") if k in attr]
        if self.inside:
            self.depth += tag == "div"
            if tag in ("canvas", "svg") and "marks" in attr.get("class", "").split():
                self.charts[self.inside][1].append((float(attr.get("width", 0)), float(attr.get("height", 0))))
        elif tag == "div" and attr.get("id") in self.ids:
            self.inside, self.depth = attr["id"], 1
            self.charts[self.inside] = (attr.get("class", "").split(), [])

    def handle_endtag(self, tag: str) -> None:
        self.tag = ""
        if self.inside and tag == "div":
            self.depth -= 1
            self.inside = self.inside if self.depth else ""

    def handle_data(self, data: str) -> None:
        if self.tag == "script":
            self.scripts.append(data)


def vega_plots(report: str) -> tuple[str, ...]:
    """The ids of the divs that the report's vega plots go into (one `vegaEmbed('#id', spec)` each)."""
    return tuple(m for script in Page(report).scripts for m in re.findall(r"vegaEmbed\('#([^']+)', spec\)", script))


def assert_renders_offline(report: Path, tmp_path: Path) -> None:
    html = report.read_text(encoding="utf-8")
    page, ids = Page(html), vega_plots(html)
    assert ids, "the report has no vega plot"
    assert [src for tag, src in page.sources if tag == "script"] == []  # every script inline: nothing to download
    for tag, src in page.sources:  # images (DVC image plots) are files beside the report
        assert src.startswith("data:") or (report.parent / src).is_file(), (tag, src)

    dumped = chromium(report, tmp_path / "profile-dom", "--dump-dom")
    charts = Page(dumped.stdout, ids).charts
    drawn = [i for i, (classes, marks) in charts.items() if "vega-embed" in classes and any(w and h for w, h in marks)]
    assert drawn == list(ids), f"not rendered: {sorted(set(ids) - set(drawn))}"
    errors = [m for m in CONSOLE.findall(dumped.stderr) if "Uncaught" in m or "ERROR" in m]
    assert errors == []

    screenshot = tmp_path / "report.png"
    size = f"--window-size=1280,{800 + 500 * len(ids)}"
    chromium(report, tmp_path / "profile-png", f"--screenshot={screenshot}", size)
    rgb = np.asarray(Image.open(screenshot).convert("RGB")).astype(int)
    colored = int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())
    assert colored >= COLORED_PIXELS_PER_CHART * len(ids), f"{colored} colored pixels for {len(ids)} charts"


@pytest.fixture(scope="module")
def repo(baseline: tuple[PipelineRepo, Run], tmp_path_factory: pytest.TempPathFactory) -> PipelineRepo:
    """A copy of the session's fully reproduced small repository (its outputs committed)."""
    return baseline[0].copy_to(tmp_path_factory.mktemp("plots") / "repo")


def plots(repo: PipelineRepo, *args: str) -> None:
    run = repo.run("dvc", "plots", *args)
    assert run.returncode == 0, run.output
    assert "failed to load" not in run.output, run.output


def test_plots_show_renders_offline(repo: PipelineRepo, tmp_path: Path) -> None:
    plots(repo, "show")  # the template comes from .dvc/config, as in the project
    assert_renders_offline(repo.path / "dvc_plots" / "index.html", tmp_path)


def test_plots_diff_renders_offline(repo: PipelineRepo, tmp_path: Path) -> None:
    plots(repo, "diff", "HEAD", "-o", str(tmp_path / "diff"))  # the workspace against HEAD: two revisions a chart
    report = tmp_path / "diff" / "index.html"
    assert '"rev": "HEAD"' in report.read_text() and '"rev": "workspace"' in report.read_text()
    assert_renders_offline(report, tmp_path)


def test_dvc_default_page_stays_blank_offline(repo: PipelineRepo, tmp_path: Path) -> None:
    default = tmp_path / "default.html"
    default.write_text(PAGE_HTML)
    plots(repo, "show", "--html-template", str(default), "-o", str(tmp_path / "default"))
    report = tmp_path / "default" / "index.html"
    ids = vega_plots(report.read_text())
    assert ids and any(tag == "script" and src.startswith("https://") for tag, src in Page(report.read_text()).sources)
    dumped = chromium(report, tmp_path / "profile", "--dump-dom")
    assert all(marks == [] for _, marks in Page(dumped.stdout, ids).charts.values())
    assert "Uncaught ReferenceError: vegaEmbed is not defined" in CONSOLE.findall(dumped.stderr)


def column(tsv: Path, name: str) -> list[str]:
    with tsv.open(newline="") as lines:
        return [row[name] for row in csv.DictReader(lines, delimiter="\t")]


def test_train_logs_count_epochs_from_1_and_log_the_loss_without_label_smoothing(repo: PipelineRepo) -> None:
    logs, epochs = repo.path / "metrics/train/plots/metrics", repo.params()["train"]["epochs"]
    for name in ("train/loss", "train/smoothed_loss", "train/acc", "val/loss", "val/acc"):
        assert column(logs / f"{name}.tsv", "step") == [str(epoch) for epoch in range(1, epochs + 1)], name
    assert repo.params()["train"]["label_smoothing"] > 0  # so the two train losses differ
    assert column(logs / "train/loss.tsv", "loss") != column(logs / "train/smoothed_loss.tsv", "smoothed_loss")
    summary = json.loads((repo.path / "metrics/train/metrics.json").read_text())
    assert summary["step"] == epochs and set(summary["train"]) == {"loss", "smoothed_loss", "acc"}


def test_charts_show_whole_epochs_every_error_and_the_bin_counts(repo: PipelineRepo, tmp_path: Path) -> None:
    plots(repo, "show", "-o", str(tmp_path / "report"))
    dom = chromium(tmp_path / "report" / "index.html", tmp_path / "profile", "--dump-dom").stdout
    labels = Counter(re.findall(r'aria-label="([^"]*)"', dom))
    epochs = repo.params()["train"]["epochs"]
    assert labels[f"X-axis titled 'epoch' for a linear scale with values from 1 to {epochs}"] == 2  # loss, accuracy
    rows = json.loads((repo.path / "metrics/plots/confusion.json").read_text())
    cells = Counter((row["actual"], row["predicted"]) for row in rows)
    errors = {cell: n for cell, n in cells.items() if cell[0] != cell[1]}
    assert errors  # a tiny model on synthetic digits: errors to draw
    for (actual, predicted), n in cells.items():  # each: its count written; a grey cell, or one coloured by errors
        cell = f"predicted: {predicted}; actual: {actual}"
        if (actual, predicted) in errors:
            assert (labels[f"{cell}; images: {n}"], labels[f"{cell}; errors: {n}; images: {n}"]) == (1, 1), cell
        else:
            assert labels[f"{cell}; images: {n}"] == 2, cell
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", dom)
    for row in json.loads((repo.path / "metrics/plots/calibration.json").read_text()):
        assert f"{row['images']:,}" in texts, row  # written on the bin's bar
    assert "Subtitle text 'above the dashed y = x line: right more often than confident (under-confident)'" in labels


BAR = re.compile(r"accuracy: ([\d.e-]+); variant: (\w+); baseline: ([\d.e-]+); rev: workspace")


def test_robustness_bars_start_below_the_worst_score_and_the_legend_names_the_data_sets(
    repo: PipelineRepo, tmp_path: Path
) -> None:
    plots(repo, "show", "-o", str(tmp_path / "report"))
    dom = chromium(tmp_path / "report" / "index.html", tmp_path / "profile", "--dump-dom").stdout
    labels = set(re.findall(r'aria-label="([^"]*)"', dom))
    assert "Symbol legend for shape with 2 values: MNIST test, UCI digits" in labels  # not per_class.json, ...
    bars = {match[2]: (float(match[1]), float(match[3])) for label in labels if (match := BAR.fullmatch(label))}
    rows = json.loads((repo.path / "metrics/plots/robustness.json").read_text())
    assert bars.keys() == {row["variant"] for row in rows}
    lowest, highest = min(row["accuracy"] for row in rows), max(row["accuracy"] for row in rows)
    start = max(0, lowest - max(0.1 * (highest - lowest), 0.01))  # .dvc/plots/per_variant.json
    for row in rows:
        assert bars[row["variant"]] == pytest.approx((row["accuracy"], start), abs=1e-6), row
