"""Regenerate docs/images/*.png, pictures of the `dvc plots show` report, from the metrics in the workspace.

    python scripts/report_pictures.py            # all charts, into docs/images/
    python scripts/report_pictures.py --out DIR  # elsewhere

DVC renders the report itself (with the offline page .dvc/config names, so nothing is downloaded); Debian's
headless Chromium, driven by Playwright (the test extra) with every non-file request refused, draws it, and
each vega chart is cut out as docs/images/<its dvc.yaml plot id up to a '(', lower case>.png: the pictures
show exactly what `dvc plots show` shows. The image plots (metrics/plots/*.png) are pictures already.
A chart whose data comes from a stage that `dvc status` finds out of date is skipped (named on stderr):
it would show a run of older code, params or data. `dvc repro` first, then run this again.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from dvc_render.vega import VegaRenderer
from playwright.sync_api import Page, Route, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
CHART = re.compile(r"vegaEmbed\('#([^']+)', spec\)")  # how dvc_render embeds each vega plot
HIDE_MENU = ".vega-embed details { display: none !important; }"  # vega-embed's '...' export menu


def dvc(*args: str) -> str:
    # the dvc of this environment, with arguments built here, never from input
    return subprocess.run(["dvc", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout  # noqa: S603, S607


def charts() -> dict[str, tuple[str, list[str]]]:
    """Chart div id -> (picture name, the files it plots), from dvc.yaml: 'Calibration on ... (...)' ->
    'calibration-on-...'. The div id is DVC's: the plot id with special characters made '_'."""
    plots = [plot for plot in yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"] if isinstance(plot, dict)]
    found = {}
    for plot_id, spec in (next(iter(plot.items())) for plot in plots):  # the others are image files
        name = re.sub(r"[^a-z0-9]+", "-", plot_id.split("(")[0].lower()).strip("-")
        found[VegaRenderer.remove_special_chars(plot_id)] = (name, list(spec["y"]))
    return found


def stale_outputs() -> dict[str, str]:
    """Output path -> its stage, for each stage `dvc status` finds out of date."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    stale = json.loads(dvc("status", "--json") or "{}")
    outs = {name: [next(iter(o)) if isinstance(o, dict) else o for o in stages[name]["outs"]] for name in stale}
    return {out: name for name, paths in outs.items() for out in paths}


def stale_sources(files: list[str], stale: dict[str, str]) -> list[str]:
    """The out-of-date stages that wrote any of `files`."""
    return sorted({stage for out, stage in stale.items() for file in files if Path(file).is_relative_to(out)})


def render_report(folder: Path) -> Path:
    """`dvc plots show` into `folder`; the path of its index.html."""
    dvc("plots", "show", "-o", str(folder))
    return folder / "index.html"


def offline(route: Route) -> None:
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()


def cut_out(page: Page, wanted: dict[str, str], out: Path) -> list[Path]:
    """One PNG per chart div (id -> picture name), once vega has drawn its marks."""
    page.add_style_tag(content=HIDE_MENU)
    written = []
    for div_id, name in wanted.items():
        chart = page.locator(f"[id='{div_id}']")
        chart.locator(".marks").first.wait_for(state="visible", timeout=30_000)
        written.append(out / f"{name}.png")
        chart.screenshot(path=str(written[-1]))  # vegaEmbed made the div itself the .vega-embed box
    return written


def pictures(chromium: str, wanted: dict[str, str], out: Path) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        report = render_report(Path(tmp) / "report")
        drawn = set(CHART.findall(report.read_text(encoding="utf-8")))
        browser = playwright.chromium.launch(executable_path=chromium, args=["--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/*", offline)
            page.goto(report.as_uri())
            return cut_out(page, {div: name for div, name in wanted.items() if div in drawn}, out)
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files (default: docs/images)")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("report_pictures: needs Debian's chromium (apt-get install chromium)")
    stale, wanted = stale_outputs(), {}
    for div_id, (name, files) in charts().items():
        if sources := stale_sources(files, stale):
            print(f"report_pictures: skipped {name}: {', '.join(sources)} is out of date (dvc repro)", file=sys.stderr)
        else:
            wanted[div_id] = name
    args.out.mkdir(parents=True, exist_ok=True)
    for path in pictures(chromium, wanted, args.out):
        print(f"report_pictures: wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
