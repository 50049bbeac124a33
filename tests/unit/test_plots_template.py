"""The committed offline `dvc plots` page is what digits/evaluation/plots_template.py writes, and DVC fills it without
adding a single download; tests/integration/test_plots_report.py renders it in a browser."""

import re
from pathlib import Path

import pytest
from configobj import ConfigObj
from dvc_render.html import HTML
from dvc_render.vega import VegaRenderer

from digits.evaluation import plots_template

ROOT = Path(__file__).resolve().parents[2]
PAGE = plots_template.TEMPLATE.read_text(encoding="utf-8")


def test_committed_page_is_what_the_generator_writes() -> None:
    inlined = plots_template.inlined(PAGE)
    assert list(inlined) == list(plots_template.LIBRARIES)  # all three, in load order
    for name, (version, _, js) in inlined.items():
        assert (version, plots_template.sha256(js)) == plots_template.LIBRARIES[name]  # the pinned npm files
        assert f'"{version}"' in js  # and the library's own version string agrees
    assert plots_template.render({name: (license_, js) for name, (_, license_, js) in inlined.items()}) == PAGE


def test_dvc_config_points_at_it() -> None:
    setting = ConfigObj(str(ROOT / ".dvc" / "config"))["plots"]["html_template"]  # relative to .dvc/
    assert (ROOT / ".dvc" / setting).resolve() == plots_template.TEMPLATE


def test_same_major_versions_as_dvcs_default_page() -> None:
    default = dict(re.findall(r"npm/([\w-]+)@(\d+)\.", VegaRenderer.SCRIPTS))
    assert {name: version.split(".")[0] for name, (version, _) in plots_template.LIBRARIES.items()} == default


def test_dvc_fills_it_without_cdn_scripts() -> None:
    assert PAGE.count("{plot_divs}") == 1 and "{scripts}" not in PAGE
    document = HTML(PAGE, refresh_seconds=5).with_scripts(VegaRenderer.SCRIPTS).with_element('<div id="p"></div>')
    page = document.embed()
    assert '<div id="p"></div>' in page and '<meta http-equiv="refresh" content="5">' in page
    assert re.findall(r"<script[^>]*\ssrc=", page) == [] and "cdn" not in page.lower()
    assert page.index("vegaEmbed=") < page.index('<div id="p">')  # the libraries load before the plots


@pytest.mark.parametrize("js", ["a = '</script>';", "b = '</SCRIPT >';", "c = '{plot_divs}';"])
def test_render_refuses_what_would_break_the_page(js: str) -> None:
    with pytest.raises(ValueError, match="cannot be inlined"):
        plots_template.render({"vega": ("BSD-3-Clause", js)})
