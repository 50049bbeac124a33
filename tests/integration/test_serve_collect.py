"""POST /collect on a real `digits serve --collect DIR` process: pictures stored once under their digit,
every refusal a 4xx with one line of JSON, the quota exact, and concurrent stores neither lost nor doubled."""

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from digits.data.collection import Collection, encode_png, read_picture
from digits.data.imageprep import model_view
from digits.serve.collect import OFF
from tests.integration.test_serve_process import request
from tests.serve_process import RunningServer, running_server
from tests.serve_support import (
    blank_png,
    digit_one_png,
    distinct_digits,
    dot_png,
    encode_form,
    png_header_only,
    small_model,
)

THREADS = 8  # concurrent clients; every request has the 30 s timeout of `request`


def collect(server: RunningServer, picture: bytes, label: str | None) -> tuple[int, dict]:
    body, boundary = encode_form("file", "digit.png", picture, {} if label is None else {"label": label})
    return request(server, "POST", "/collect", body, f"multipart/form-data; boundary={boundary}")


def files_in(folder: Path) -> list[str]:
    """Every file under `folder`, hidden ones too, as 'digit/name'."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


@pytest.fixture
def started(model_file: Path, tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    """A server collecting into a folder of its own (and at most 30 pictures), for one test."""
    folder = tmp_path / "collected"
    with running_server(model_file, tmp_path / "server.log", ["--collect", str(folder), "--collect-max", "30"]) as s:
        yield s, folder


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("model") / "model.pt")


@pytest.fixture(scope="module")
def refusing(model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Path]]:
    """One server for all the refusals: nothing ever lands in its folder."""
    folder = tmp_path_factory.mktemp("refusing")
    with running_server(model_file, folder / "server.log", ["--collect", str(folder / "collected")]) as server:
        yield server, folder / "collected"


def test_stores_once_under_its_digit(started: tuple[RunningServer, Path]) -> None:
    server, folder = started
    png = digit_one_png()
    status, answer = collect(server, png, "1")
    assert (status, answer["created"]) == (201, True)
    assert (folder / answer["path"]).read_bytes() == encode_png(model_view(png))
    assert collect(server, png, "1") == (200, {"path": answer["path"], "created": False})
    assert files_in(folder) == [answer["path"]]
    assert request(server, "GET", "/health")[1]["collect"] is True
    assert f"collecting corrected digits in {folder} (at most 30 pictures)" in server.log.read_text()


@pytest.mark.parametrize(
    ("what", "picture", "label", "status", "error"),
    [
        ("no label", digit_one_png(), None, 400, "the multipart form has no field 'label'"),
        ("label 10", digit_one_png(), "10", 422, "label must be a digit 0-9, not '10'"),
        ("label x", digit_one_png(), "x", 422, "label must be a digit 0-9, not 'x'"),
        ("text", b"hello", "3", 422, "not an image (or a format Pillow cannot read)"),
        ("blank", blank_png(), "3", 422, "no ink found: the image is blank"),
        ("a dot", dot_png(), "3", 422, "too little ink: draw a digit, not a dot"),
        ("bomb", png_header_only(100_000, 100_000), "3", 422, "image is too large (over 16 megapixels)"),
    ],
)
def test_refusals_are_one_line_and_store_nothing(
    refusing: tuple[RunningServer, Path], what: str, picture: bytes, label: str | None, status: int, error: str
) -> None:
    server, folder = refusing
    answer = collect(server, picture, label)
    assert answer[0] == status and list(answer[1]) == ["error"] and answer[1]["error"].startswith(error), answer
    assert "\n" not in answer[1]["error"] and files_in(folder) == []
    assert request(server, "POST", "/predict", digit_one_png(), "image/png")[0] == 200


def test_without_collect_it_is_refused(model_file: Path, tmp_path: Path) -> None:
    with running_server(model_file, tmp_path / "server.log") as server:
        assert collect(server, digit_one_png(), "1") == (403, {"error": OFF})
        assert request(server, "GET", "/health")[1]["collect"] is False


@pytest.mark.parametrize("workers", ["1", "2"])  # with 2, the workers share the folder (and its lock)
def test_the_quota_is_exact_under_concurrent_stores(model_file: Path, tmp_path: Path, workers: str) -> None:
    folder = tmp_path / "collected"
    args = ["--collect", str(folder), "--collect-max", "5", "--workers", workers]
    with running_server(model_file, tmp_path / "server.log", args) as s:
        with ThreadPoolExecutor(THREADS) as pool:
            statuses = Counter(status for status, _ in pool.map(lambda p: collect(s, p, "4"), distinct_digits(16)))
        assert statuses == {201: 5, 409: 11}
        refused = collect(s, distinct_digits(17)[16], "4")
        assert refused == (409, {"error": "the collection is full: 5 pictures (--collect-max)"})
    assert len(files_in(folder)) == 5


def test_concurrent_stores_of_different_pictures_all_land_once(started: tuple[RunningServer, Path]) -> None:
    server, folder = started
    pictures = distinct_digits(24)
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda i: collect(server, pictures[i], str(i % 10)), range(24)))
    assert [status for status, _ in answers] == [201] * 24
    assert files_in(folder) == sorted(answer["path"] for _, answer in answers)  # no temporary left, none doubled
    for path, label in Collection(folder).pictures():
        assert read_picture(path).shape == (28, 28) and path.parent.name == str(label)


def test_concurrent_stores_of_one_picture_make_one_file(started: tuple[RunningServer, Path]) -> None:
    server, folder = started
    png = digit_one_png()
    with ThreadPoolExecutor(THREADS) as pool:
        same = list(pool.map(lambda _: collect(server, png, "1"), range(16)))
        other = Counter(status for status, _ in pool.map(lambda d: collect(server, png, str(d)), range(10)))
    assert Counter(status for status, _ in same) == {201: 1, 200: 15}
    assert len({answer["path"] for _, answer in same}) == 1
    assert other == {200: 1, 409: 9}  # under 1 it is there already; under any other digit it conflicts
    assert files_in(folder) == [same[0][1]["path"]]
