"""POST /collect against the real app (FastAPI's TestClient, in-process): stored as the model view, each
refusal a 4xx with one line of JSON, and the server goes on predicting."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from digits.cli import main
from digits.data.collection import Collection, encode_png, read_picture
from digits.data.imageprep import model_view
from digits.serve.collect import OFF
from digits.serve.settings import Settings
from tests.serve_support import blank_png, digit_one_png, distinct_digits, dot_png, png_header_only, small_model
from tests.unit.test_serve_api import client_for

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("model") / "model.pt")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "collected"


@pytest.fixture
def client(model_file: Path, folder: Path) -> Iterator[TestClient]:
    with client_for(model_file, Settings(max_body_bytes=LIMIT, collect_dir=folder, collect_max=5)) as running:
        yield running


def collect(client: TestClient, picture: bytes, label: object) -> tuple[int, dict]:
    fields = {} if label is None else {"label": str(label)}
    response = client.post("/collect", files={"file": ("digit.png", picture, "image/png")}, data=fields)
    return response.status_code, response.json()


def assert_still_predicting(client: TestClient) -> None:
    response = client.post("/predict", content=digit_one_png(), headers={"Content-Type": "image/png"})
    assert response.status_code == 200 and 0 <= response.json()["digit"] <= 9


def test_stores_the_model_view_not_the_upload(client: TestClient, folder: Path) -> None:
    png = digit_one_png()
    status, answer = collect(client, png, 1)
    assert (status, answer["created"], answer["path"].split("/")[0]) == (201, True, "1")
    stored = folder / answer["path"]
    assert stored.read_bytes() == encode_png(model_view(png)) != png
    assert np.array_equal(read_picture(stored), model_view(png))
    assert collect(client, png, " 1 ") == (200, {"path": answer["path"], "created": False})  # the same picture
    assert [p.name for p, _ in Collection(folder).pictures()] == [stored.name]
    assert client.get("/health").json()["collect"] is True


@pytest.mark.parametrize(
    ("label", "status", "error"),
    [
        (None, 400, "the multipart form has no field 'label': the digit (0-9) the picture shows"),
        ("", 422, "label must be a digit 0-9, not ''"),
        ("10", 422, "label must be a digit 0-9, not '10'"),
        ("-1", 422, "label must be a digit 0-9, not '-1'"),
        ("7.0", 422, "label must be a digit 0-9, not '7.0'"),
        ("seven\nand more text", 422, "label must be a digit 0-9, not 'seven\\nand more text'"),
        ("x" * 30, 422, f"label must be a digit 0-9, not '{'x' * 20}...'"),
    ],
)
def test_a_bad_label_is_refused(client: TestClient, folder: Path, label: str | None, status: int, error: str) -> None:
    assert collect(client, digit_one_png(), label) == (status, {"error": error})
    assert Collection(folder).count() == 0


def test_a_file_as_the_label_is_refused_by_the_form_parser(client: TestClient) -> None:
    files = {"file": ("one.png", digit_one_png(), "image/png"), "label": ("7.txt", b"7", "text/plain")}
    response = client.post("/collect", files=files)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "too many files. maximum number of files is 1.: POST /collect"},
    )


@pytest.mark.parametrize(
    ("what", "picture", "status", "error"),
    [
        ("text", b"hello, world", 422, "not an image (or a format Pillow cannot read)"),
        ("blank", blank_png(), 422, "no ink found: the image is blank (contrast 0 of 255)"),
        ("a dot", dot_png(), 422, "too little ink: draw a digit, not a dot"),
        ("bomb", png_header_only(5_000, 4_000), 422, "image is 5000x4000, over the limit of 16 megapixels"),
        ("empty", b"", 400, "empty image: the upload has no bytes"),
        ("too big", bytes(LIMIT), 413, f"request body too large: the limit is {LIMIT} bytes"),
    ],
)
def test_a_bad_picture_is_refused_as_predict_refuses_it(
    client: TestClient, folder: Path, what: str, picture: bytes, status: int, error: str
) -> None:
    assert collect(client, picture, 3) == (status, {"error": error})
    predicted = client.post("/predict", files={"file": ("x.png", picture, "image/png")})
    assert (predicted.status_code, predicted.json()) == (status, {"error": error})
    assert Collection(folder).count() == 0
    assert_still_predicting(client)


def test_only_a_multipart_form(client: TestClient) -> None:
    response = client.post("/collect", content=digit_one_png(), headers={"Content-Type": "image/png"})
    assert response.status_code == 415
    assert response.json() == {
        "error": "unsupported content type 'image/png': send a multipart/form-data form with 'file' and 'label'"
    }


def test_a_picture_stored_under_another_digit_is_a_409(client: TestClient, folder: Path) -> None:
    path = collect(client, digit_one_png(), 1)[1]["path"]
    assert collect(client, digit_one_png(), 7) == (409, {"error": f"this picture is already collected as a 1: {path}"})
    assert Collection(folder).count() == 1


def test_a_full_collection_is_a_409_naming_collect_max(client: TestClient, folder: Path) -> None:
    pictures = distinct_digits(6)
    assert [collect(client, picture, 4)[0] for picture in pictures[:5]] == [201] * 5
    full = {"error": "the collection is full: 5 pictures (--collect-max)"}
    assert collect(client, pictures[5], 4) == (409, full)
    assert collect(client, pictures[0], 4)[0] == 200  # already stored: answered, nothing written
    assert Collection(folder).count() == 5


def test_a_write_that_fails_is_a_507_and_the_server_goes_on(client: TestClient, folder: Path) -> None:
    (folder / "2").write_text("a file where the folder of the 2s goes")  # fails as root too, unlike chmod
    assert collect(client, digit_one_png(), 2) == (507, {"error": "cannot store the picture: File exists"})
    assert_still_predicting(client)
    assert collect(client, digit_one_png(), 1)[0] == 201


def test_without_collect_it_is_a_403_and_health_says_so(model_file: Path) -> None:
    with client_for(model_file) as client:
        assert collect(client, digit_one_png(), 1) == (403, {"error": OFF})
        assert client.get("/health").json()["collect"] is False


def test_the_schema_describes_the_form(client: TestClient) -> None:
    post = client.get("/openapi.json").json()["paths"]["/collect"]["post"]
    form = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file", "label"] and form["properties"]["label"]["maximum"] == 9
    assert {"200", "201"} <= set(post["responses"])


def test_serve_with_a_folder_it_cannot_make_is_one_line(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--model", str(model_file), "--port", "0", "--collect", str(tmp_path / "taken" / "dir")])
    message = f"digits: error: {tmp_path}/taken/dir: cannot make the collection folder: Not a directory\n"
    assert (exit_.value.code, capsys.readouterr().err) == (1, message)
