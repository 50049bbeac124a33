"""The drawing page in headless Chromium (Debian's, driven by Playwright) with no network: strokes drawn
with the mouse are read as you draw, files can be uploaded or dropped, corrections are saved under
their digit (with --collect; the buttons are hidden without), a dot is not read as a digit, a scribble
is "not a digit" and an ambiguous 5 "not sure" (the corrections put forward for both), /docs renders,
and every request the pages make goes to the server itself. The model: tests/real_mnist.py's, with its
thresholds set from its own scores on what is drawn here (tests/page_strokes.py).

Where `unshare --net` works (as root), the server and the browser share a network namespace of their own
with nothing but loopback in it; the test process, outside it, cannot even reach the server.
"""

import base64
import functools
import io
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, sync_playwright

from digits.data.collection import Collection, read_picture
from tests.page_strokes import Strokes, bar, likeliest_two, one, page_model, scribble, zero
from tests.serve_process import RunningServer, running_server
from tests.serve_support import dot_png

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


def alongside(server: RunningServer) -> list[str]:
    """The prefix that starts another process where the browser can reach it: in the server's namespace."""
    return ["nsenter", f"--net=/proc/{server.process.pid}/ns/net"] if own_network() else []


@dataclass
class Browser:
    page: Page
    url: str
    collected: Path  # the server's --collect DIR
    server: RunningServer
    chromium: Chromium
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # failed requests, console errors, uncaught exceptions

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.url + "/", "data:", "blob:"))]


@pytest.fixture(scope="module")
def model_file(real_mnist_model: tuple[Path, float], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real-MNIST model, its thresholds between the scribble, the unsure 5 and the digits drawn here."""
    return page_model(real_mnist_model[0], tmp_path_factory.mktemp("page-model") / "model.pt")


@pytest.fixture(scope="module")
def browser(model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    folder = tmp_path_factory.mktemp("browser")
    prefix = NEW_NETWORK if own_network() else []
    args = ["--collect", str(folder / "collected")]
    with (
        running_server(model_file, folder / "server.log", args, prefix) as server,
        sync_playwright() as p,
    ):
        if own_network():  # proof of the isolation: from out here, the server cannot be reached
            with pytest.raises(OSError):
                urllib.request.urlopen(server.url + "/health", timeout=5)
        chromium = p.chromium.launch(executable_path=browser_in(server, folder), args=BROWSER_FLAGS)
        try:
            page = chromium.new_page(viewport={"width": 860, "height": 560})
            session = Browser(page, server.url, folder / "collected", server, chromium)
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


def draw(page: Page, strokes: Strokes) -> str:
    """Draw strokes with the mouse (points in 0..1 of the canvas), then read the prediction."""
    page.locator("#canvas").scroll_into_view_if_needed()  # a click lower down may have scrolled it away
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


def model_view_shown(page: Page) -> str:
    """'hidden' while #model-input has no picture (an empty box, no broken-image icon), else 'visible'."""
    return page.eval_on_selector("#model-input", "e => getComputedStyle(e).visibility")


def canvas_is_blank(page: Page) -> bool:
    return page.eval_on_selector(
        "#canvas", "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.every((v) => v === 255)"
    )


def test_drawing_a_one_and_a_zero(browser: Browser, tmp_path: Path) -> None:
    page, earlier = browser.page, len(browser.failures)  # the module's tests share the browser, in any order
    page.goto(browser.url + "/")
    assert prediction_when_idle(page) == NO_DIGIT
    assert model_view_shown(page) == "hidden" and page.is_hidden("#collect")
    assert draw(page, one()) == "1"
    assert model_view_shown(page) == "visible" and page.is_visible("#collect")
    assert page.get_attribute("#bars li.top", "class") == "top"
    assert page.locator("#bars li").nth(1).get_attribute("class") == "top"  # the longest bar is the 1's
    assert page.evaluate("document.querySelector('#model-input').naturalWidth") == 28
    page.click("#clear")
    assert prediction_when_idle(page) == NO_DIGIT and page.locator("#bars li.top").count() == 0
    assert model_view_shown(page) == "hidden" and page.is_hidden("#collect") and canvas_is_blank(page)
    assert draw(page, zero()) == "0"
    confidence = page.inner_text("#confidence")
    assert confidence.endswith("%") and float(confidence[:-1]) > 50
    page.wait_for_timeout(300)  # the bars' width transition (0.15 s)
    filled = "e => e.getBoundingClientRect().width / e.parentElement.getBoundingClientRect().width"
    assert page.eval_on_selector("#bars li.top .fill", filled) == pytest.approx(float(confidence[:-1]) / 100, abs=0.01)
    page.screenshot(path=tmp_path / "page.png")
    assert browser.foreign_requests() == [] and browser.failures[earlier:] == []
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
    page, earlier = browser.page, len(browser.failures)
    page.goto(browser.url + "/")
    page.set_input_files("#file", ROOT / "examples" / "scan.png")  # an MNIST 7, black on white
    assert prediction_when_idle(page) == "7"
    drop(page, ROOT / "examples" / "photo.jpg", "image/jpeg")  # an MNIST 2, dark ink on grey paper
    assert prediction_when_idle(page) == "2"
    assert not canvas_is_blank(page)  # the photo, shown where one draws
    (tmp_path / "notes.png").write_text("not a picture")
    page.set_input_files("#file", tmp_path / "notes.png")
    assert prediction_when_idle(page) == NO_DIGIT
    assert page.inner_text("#error") == "not an image (or a format Pillow cannot read)"
    assert canvas_is_blank(page) and model_view_shown(page) == "hidden"
    (tmp_path / "dot.png").write_bytes(dot_png())  # a picture the browser shows and the server refuses
    page.set_input_files("#file", tmp_path / "dot.png")
    assert prediction_when_idle(page) == NO_DIGIT
    assert page.inner_text("#error") == "too little ink: draw a digit, not a dot"
    page.wait_for_timeout(300)  # time for the picture to be painted, were it to be painted after the refusal
    assert canvas_is_blank(page) and model_view_shown(page) == "hidden" and page.is_hidden("#collect")
    assert browser.foreign_requests() == []
    assert [f for f in browser.failures[earlier:] if "422" not in f] == []  # the browser logs the refused upload's 422


def test_api_docs_render_offline(browser: Browser) -> None:
    page = browser.page
    page.goto(browser.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=15_000)
    assert "digits" in page.inner_text(".swagger-ui .info .title")
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert {"/predict", "/collect", "/health", "/model"} <= {p.strip() for p in paths}
    assert browser.foreign_requests() == []


def test_a_dot_is_not_read_as_a_digit(browser: Browser) -> None:
    page = browser.page
    page.goto(browser.url + "/")
    assert draw(page, [[(0.5, 0.5)]]) == NO_DIGIT  # a click without moving
    assert page.inner_text("#error") == "too little ink: draw a digit, not a dot"
    assert not canvas_is_blank(page)  # the dot stays: the digit is being drawn
    assert model_view_shown(page) == "hidden" and page.is_hidden("#collect")
    assert draw(page, bar()) == "1"  # the stroke goes on from the dot
    assert page.inner_text("#error") == ""


def shown_model_view(page: Page) -> np.ndarray:
    """The 28x28 picture #model-input shows (what the model read), decoded from its data URL."""
    encoded = page.get_attribute("#model-input", "src").split(",", 1)[1]  # type: ignore[union-attr]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))))


def save(page: Page, button: str) -> str:
    """Click a correction button; what the page says once the server has answered."""
    page.click(button)
    page.wait_for_selector("#collect[data-state=idle]", timeout=15_000)
    return page.inner_text("#collected")


def test_corrections_are_saved_under_their_digit(browser: Browser) -> None:
    page, earlier = browser.page, len(browser.failures)
    page.goto(browser.url + "/")
    assert draw(page, one()) == "1"
    assert page.inner_text("#correct") == "Correct: it's a 1"
    assert save(page, "#correct") == "saved as a 1"
    [(stored, label)] = Collection(browser.collected).pictures()
    assert label == 1 and np.array_equal(read_picture(stored), shown_model_view(page))  # what the model read
    page.click("#clear")
    assert draw(page, zero()) == "0"
    assert page.is_hidden("#labels") and page.get_attribute("#wrong", "aria-expanded") == "false"  # sure: folded
    page.click("#wrong")
    assert page.is_visible("#labels") and page.get_attribute("#wrong", "aria-expanded") == "true"
    assert page.evaluate("document.activeElement.id") == "label-0" and page.inner_text("#ask") == "Which digit is it?"
    assert save(page, "#label-6") == "saved as a 6"  # a 0 the user says is a 6
    assert save(page, "#label-6") == "already saved as a 6"
    refused = save(page, "#label-3")
    assert refused.startswith("this picture is already collected as a 6: 6/") and refused.endswith(".png")
    assert [label for _, label in Collection(browser.collected).pictures()] == [1, 6]
    stored_six = Collection(browser.collected).pictures()[1][0]
    assert np.array_equal(read_picture(stored_six), shown_model_view(page))
    assert browser.foreign_requests() == []
    assert [f for f in browser.failures[earlier:] if "409" not in f] == []  # the browser logs the refused save


def test_without_collect_the_buttons_are_hidden(browser: Browser, model_file: Path) -> None:
    log = browser.collected.parent / "plain-server.log"
    with running_server(model_file, log, prefix=alongside(browser.server)) as plain:
        page = browser.chromium.new_page(viewport={"width": 860, "height": 560})
        try:
            page.goto(plain.url + "/")
            assert draw(page, one()) == "1"
            assert page.is_hidden("#collect") and page.is_hidden("#correct")
        finally:
            page.close()


def corrections_forward(page: Page) -> bool:
    """The digits open and the panel highlighted at once, with nothing to confirm ("Correct", "Wrong" hidden)."""
    forward = page.get_attribute("#collect", "data-open") == "true" and page.is_visible("#labels")
    return forward and page.is_hidden("#correct") and page.is_hidden("#wrong")


def test_a_scribble_is_not_a_digit(browser: Browser) -> None:
    page, earlier = browser.page, len(browser.failures)
    page.goto(browser.url + "/")
    assert draw(page, scribble()) == "That doesn't look like a digit"
    assert page.inner_text("#confidence") == "" and page.locator("#bars li.top").count() == 0  # names no digit
    assert corrections_forward(page) and page.inner_text("#ask").startswith("If it is a digit, which one?")
    page.click("#clear")
    assert draw(page, one()) == "1"
    assert page.get_attribute("#collect", "data-open") == "false" and page.is_hidden("#labels")  # a sure digit
    assert browser.foreign_requests() == [] and browser.failures[earlier:] == []


def test_an_ambiguous_digit_is_not_sure_and_asks_which(browser: Browser, model_file: Path) -> None:
    page, earlier = browser.page, len(browser.failures)
    picture = ROOT / "examples" / "five-or-six.png"  # an MNIST 5 whose top bar floats off: a 6?
    first, second = likeliest_two(model_file, picture.read_bytes())
    page.goto(browser.url + "/")
    page.set_input_files("#file", picture)
    assert prediction_when_idle(page) == f"Not sure: {first} or {second}"
    assert re.fullmatch(r"\d+\.\d% or \d+\.\d%", page.inner_text("#confidence"))
    highlighted = [int(row.split()[0]) for row in page.locator("#bars li.top").all_inner_texts()]
    assert sorted(highlighted) == sorted([first, second])  # the bars of the two digits it hesitates between
    assert corrections_forward(page)
    a_first, a_second = (f"{'an' if digit == 8 else 'a'} {digit}" for digit in (first, second))
    assert page.inner_text("#ask") == f"The model is not sure: is it {a_first}, {a_second} or another digit?"
    assert browser.foreign_requests() == [] and browser.failures[earlier:] == []
