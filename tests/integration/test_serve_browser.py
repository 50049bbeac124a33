"""The drawing page in headless Chromium (Debian's, driven by Playwright) with no network: strokes drawn
with the mouse are read as you draw, files can be uploaded or dropped, /docs renders, and every request
the pages make goes to the server itself.

Where `unshare --net` works (as root), the server and the browser share a network namespace of their own
with nothing but loopback in it; the test process, outside it, cannot even reach the server.
"""

import base64
import functools
import math
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.serve_process import RunningServer, running_server

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium; .ci/run does)")
ROOT = Path(__file__).resolve().parents[2]
BROWSER_FLAGS = [
    *("--disable-gpu", "--no-first-run", "--disable-sync", "--disable-background-networking"),
    *(
        "--disable-component-update",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ),  # nothing else resolves
]
NO_DIGIT = "\N{EN DASH}"  # what #prediction shows with nothing to read
NEW_NETWORK = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]  # only loopback, up


@functools.cache
def own_network() -> bool:
    """Whether commands can run in a network namespace of their own (root, with unshare, ip and nsenter)."""
    tools = all(shutil.which(tool) for tool in ("unshare", "ip", "nsenter"))
    return bool(tools) and subprocess.run([*NEW_NETWORK, "true"], capture_output=True).returncode == 0


def browser_in(server: RunningServer, folder: Path) -> str:
    """The chromium to launch: Debian's, entering the server's network namespace when it has one."""
    if not own_network():
        return str(CHROMIUM)
    wrapper = folder / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec nsenter --net=/proc/{server.process.pid}/ns/net {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


@dataclass
class Browser:
    page: Page
    url: str
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # failed requests, console errors, uncaught exceptions

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.url + "/", "data:", "blob:"))]


@pytest.fixture(scope="module")
def browser(real_mnist_model: tuple[Path, float], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    folder = tmp_path_factory.mktemp("browser")
    prefix = NEW_NETWORK if own_network() else []
    with running_server(real_mnist_model[0], folder / "server.log", prefix=prefix) as server, sync_playwright() as p:
        if own_network():  # proof of the isolation: from out here, the server cannot be reached
            with pytest.raises(OSError):
                urllib.request.urlopen(server.url + "/health", timeout=5)
        chromium = p.chromium.launch(executable_path=browser_in(server, folder), args=BROWSER_FLAGS)
        try:
            page = chromium.new_page(viewport={"width": 860, "height": 560})
            session = Browser(page, server.url)
            page.on("request", lambda request: session.requests.append(request.url))
            page.on("requestfailed", lambda request: session.failures.append(f"failed: {request.url}"))
            page.on("console", lambda msg: msg.type == "error" and session.failures.append(f"console: {msg.text}"))
            page.on("pageerror", lambda err: session.failures.append(f"uncaught: {err}"))
            yield session
        finally:
            chromium.close()


def prediction_when_idle(page: Page) -> str:
    """#prediction once the page has no answer pending (body[data-state=idle])."""
    page.wait_for_selector("body[data-state=idle]", timeout=15_000)
    return page.inner_text("#prediction")


def draw(page: Page, strokes: list[list[tuple[float, float]]]) -> str:
    """Draw strokes with the mouse (points in 0..1 of the canvas), then read the prediction."""
    box = page.locator("#canvas").bounding_box()
    assert box is not None
    for stroke in strokes:
        (x, y), *rest = stroke
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
        page.mouse.up()
    return prediction_when_idle(page)


def one() -> list[list[tuple[float, float]]]:
    return [[(0.55, 0.15), (0.5, 0.5), (0.45, 0.85)]]


def zero() -> list[list[tuple[float, float]]]:
    ring = [
        (0.5 + 0.24 * math.sin(t / 24 * 2 * math.pi), 0.5 - 0.34 * math.cos(t / 24 * 2 * math.pi)) for t in range(25)
    ]
    return [ring]


def test_drawing_a_one_and_a_zero(browser: Browser, tmp_path: Path) -> None:
    page = browser.page
    page.goto(browser.url + "/")
    assert prediction_when_idle(page) == NO_DIGIT
    assert draw(page, one()) == "1"
    assert page.get_attribute("#bars li.top", "class") == "top"
    assert page.locator("#bars li").nth(1).get_attribute("class") == "top"  # the longest bar is the 1's
    assert page.evaluate("document.querySelector('#model-input').naturalWidth") == 28
    page.click("#clear")
    assert prediction_when_idle(page) == NO_DIGIT and page.locator("#bars li.top").count() == 0
    assert draw(page, zero()) == "0"
    confidence = page.inner_text("#confidence")
    assert confidence.endswith("%") and float(confidence[:-1]) > 50
    page.wait_for_timeout(300)  # the bars' width transition (0.15 s)
    filled = "e => e.getBoundingClientRect().width / e.parentElement.getBoundingClientRect().width"
    assert page.eval_on_selector("#bars li.top .fill", filled) == pytest.approx(float(confidence[:-1]) / 100, abs=0.01)
    page.screenshot(path=tmp_path / "page.png")
    assert browser.foreign_requests() == [] and browser.failures == []
    assert {browser.url + path for path in ("/", "/page/style.css", "/page/app.js", "/model")} <= set(browser.requests)
    assert browser.requests.count(browser.url + "/predict?with_image=true") >= 2


def drop(page: Page, path: Path, mime: str) -> None:
    """Drop a file on the canvas, as dragging one from a file manager does."""
    encoded = base64.b64encode(path.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([encoded, name, mime]) => {
            const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: mime }));
            return transfer;
        }""",
        [encoded, path.name, mime],
    )
    page.dispatch_event("#canvas", "drop", {"dataTransfer": transfer})


def test_uploading_and_dropping_image_files(browser: Browser, tmp_path: Path) -> None:
    page = browser.page
    page.goto(browser.url + "/")
    page.set_input_files("#file", ROOT / "examples" / "scan.png")  # an MNIST 7, black on white
    assert prediction_when_idle(page) == "7"
    drop(page, ROOT / "examples" / "photo.jpg", "image/jpeg")  # an MNIST 2, dark ink on grey paper
    assert prediction_when_idle(page) == "2"
    (tmp_path / "notes.png").write_text("not a picture")
    page.set_input_files("#file", tmp_path / "notes.png")
    assert prediction_when_idle(page) == NO_DIGIT
    assert page.inner_text("#error") == "not an image (or a format Pillow cannot read)"
    assert browser.foreign_requests() == []
    assert [f for f in browser.failures if "422" not in f] == []  # the browser logs the refused upload's 422


def test_api_docs_render_offline(browser: Browser) -> None:
    page = browser.page
    page.goto(browser.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=15_000)
    assert "digits" in page.inner_text(".swagger-ui .info .title")
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert {"/predict", "/health", "/model"} <= {p.strip() for p in paths}
    assert browser.foreign_requests() == []
