"""`digits serve`'s API, against the real app (FastAPI's TestClient runs it in-process, lifespan included)."""

import base64
import hashlib
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from digits.cli import main
from digits.data.imageprep import model_view
from digits.model.checkpoint import load_checkpoint
from digits.prediction.model_info import describe, file_md5
from digits.serve.app import create_app
from digits.serve.drain import Drain
from digits.serve.settings import Settings
from tests.serve_support import blank_png, digit_one_png, drawn_digits, png_header_only, small_model

LIMIT = 64 * 1024  # a small body limit, so the over-the-limit tests stay small


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("model") / "model.pt")


def client_for(model_file: Path, settings: Settings | None = None, drain: Drain | None = None) -> TestClient:
    checkpoint = load_checkpoint(model_file)
    info = {**describe(checkpoint, model_file), "md5": file_md5(model_file)}
    return TestClient(create_app(checkpoint, info, settings, drain), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(model_file: Path) -> Iterator[TestClient]:
    with client_for(model_file, Settings(max_body_bytes=LIMIT)) as running:
        yield running


def post_raw(client: TestClient, body: bytes, content_type: str = "image/png", query: str = "") -> dict:
    response = client.post(f"/predict{query}", content=body, headers={"Content-Type": content_type})
    return {"status": response.status_code, **response.json()}


def test_raw_body_and_form_field_give_the_same_answer(client: TestClient) -> None:
    png = digit_one_png()
    raw = client.post("/predict", content=png, headers={"Content-Type": "image/png"})
    form = client.post("/predict", files={"file": ("one.png", png, "image/png")})
    assert raw.status_code == form.status_code == 200
    assert raw.json() == form.json()
    answer = raw.json()
    assert set(answer) == {"digit", "probability", "probabilities", "decision"}
    assert answer["decision"] == "digit"  # the small model is uncalibrated: every answer a digit
    assert len(answer["probabilities"]) == 10 and sum(answer["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert answer["probability"] == max(answer["probabilities"])
    assert answer["digit"] == answer["probabilities"].index(answer["probability"])


def test_same_digits_and_probabilities_as_digits_predict(
    client: TestClient, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures = drawn_digits()
    for name, data in pictures.items():
        (tmp_path / name).write_bytes(data)
    main(["predict", "--json", "--top-k", "10", "--model", str(model_file), str(tmp_path)])
    from_cli = {Path(r["path"]).name: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert sorted(from_cli) == sorted(pictures)
    answers = set()
    for name, data in pictures.items():
        answer = client.post("/predict", files={"file": (name, data, "application/octet-stream")}).json()
        expected = [0.0] * 10
        for entry in from_cli[name]["top"]:
            expected[entry["digit"]] = entry["probability"]  # rounded to 6 decimals by --json
        assert (answer["digit"], answer["decision"]) == (from_cli[name]["digit"], from_cli[name]["decision"]), name
        assert answer["probabilities"] == pytest.approx(expected, abs=1e-6), name
        answers.add(tuple(round(prob, 4) for prob in answer["probabilities"]))
    assert len(answers) >= len(pictures) // 2  # the (untrained) model's answers depend on the picture


def test_with_image_returns_the_28x28_picture_the_model_sees(client: TestClient) -> None:
    png = digit_one_png()
    answer = post_raw(client, png, query="?with_image=true")
    header, encoded = answer["image"].split(",", 1)
    assert header == "data:image/png;base64"
    picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))))
    assert picture.shape == (28, 28) and np.array_equal(picture, model_view(png))


def bad_inputs() -> list[tuple[str, bytes, str, int, str]]:
    """(what, body, content type, status, the start of the error message)."""
    png = digit_one_png()
    return [
        ("empty body", b"", "image/png", 400, "empty image"),
        ("text as an image", b"hello, world", "image/png", 422, "not an image"),
        ("text/plain", b"hello, world", "text/plain", 415, "unsupported content type 'text/plain'"),
        ("no content type", png, "", 415, "unsupported content type 'none'"),
        ("JSON", b'{"path": "/etc/passwd"}', "application/json", 415, "unsupported content type"),
        ("truncated PNG", png[: len(png) // 2], "image/png", 422, "cannot decode image"),
        ("a format Pillow can't read", b"%PDF-1.4\n" + bytes(200), "image/png", 422, "not an image"),
        ("bomb: 100,000 x 100,000", png_header_only(100_000, 100_000), "image/png", 422, "image is too large"),
        ("bomb: 10,000 x 6,000", png_header_only(10_000, 6_000), "image/png", 422, "image is 10000x6000, over"),
        (
            "bomb: 5,000 x 4,000",
            png_header_only(5_000, 4_000),
            "image/png",
            422,
            "image is 5000x4000, over the limit of 16 ",
        ),
        ("blank image", blank_png(), "image/png", 422, "no ink found: the image is blank"),
        ("over the limit", bytes(LIMIT + 1), "image/png", 413, f"request body too large: the limit is {LIMIT}"),
    ]


@pytest.mark.parametrize(("what", "body", "content_type", "status", "message"), bad_inputs(), ids=lambda v: str(v)[:40])
def test_bad_input_is_a_4xx_with_a_one_line_json_error(
    client: TestClient, what: str, body: bytes, content_type: str, status: int, message: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/predict", content=body, headers=headers)
    assert (response.status_code, list(response.json())) == (status, ["error"]), response.text
    error = response.json()["error"]
    assert error.startswith(message) and "\n" not in error and "Traceback" not in error
    assert client.get("/health").status_code == 200  # still serving
    assert post_raw(client, digit_one_png())["status"] == 200


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"image": ("one.png", b"png bytes", "image/png")}, "the multipart form has no file in a field named 'file'"),
        ({"file": (None, b"not a file")}, "the multipart form has no file in a field named 'file'"),
        ({"file": ("big.png", bytes(LIMIT), "image/png")}, f"request body too large: the limit is {LIMIT} bytes"),
        ({"file": ("empty.png", b"", "image/png")}, "empty image: the upload has no bytes"),
    ],
)
def test_bad_forms(client: TestClient, files: dict, message: str) -> None:
    response = client.post("/predict", files=files)
    assert response.json() == {"error": message} and 400 <= response.status_code < 500


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--xyz\r\nno headers, no end", "multipart/form-data; boundary=xyz"),
        (b"hello", "multipart/form-data; boundary=xyz"),
        (b"--xyz--\r\n", "multipart/form-data"),  # no boundary named
    ],
)
def test_malformed_multipart_is_a_400(client: TestClient, body: bytes, content_type: str) -> None:
    response = client.post("/predict", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400 and list(response.json()) == ["error"], response.text


def test_a_body_without_length_is_counted_as_it_streams(client: TestClient) -> None:
    chunks = iter([bytes(LIMIT // 2)] * 4)  # no Content-Length: sent chunked
    response = client.post("/predict", content=chunks, headers={"Content-Type": "image/png"})
    assert response.status_code == 413 and response.json()["error"].startswith("request body too large")


def test_health_model_and_errors_for_unknown_routes(client: TestClient, model_file: Path) -> None:
    assert client.get("/health").json()["status"] == "ok"
    info = client.get("/model").json()
    assert info["md5"] == hashlib.md5(model_file.read_bytes()).hexdigest()
    uncalibrated = {"temperature": 1.0, "not_a_digit_below": "-inf", "unsure_below": 0.0, "tta_degrees": 0.0}
    assert info["calibration"] == uncalibrated  # as JSON: -inf a string
    assert {k: v for k, v in info.items() if k != "md5"} == json.loads(
        json.dumps(describe(load_checkpoint(model_file), model_file))
    )
    assert client.get("/nowhere").json() == {"error": "not found: GET /nowhere"}
    assert client.get("/predict").json() == {"error": "method not allowed: GET /predict"}
    bad_query = client.post("/predict?with_image=maybe", content=digit_one_png(), headers={"Content-Type": "image/png"})
    assert bad_query.status_code == 422 and bad_query.json()["error"].startswith("query.with_image:")


def test_model_is_what_digits_inspect_prints(
    client: TestClient, model_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["inspect", "--model", str(model_file)])
    printed = json.loads(capsys.readouterr().out)
    info = client.get("/model").json()
    assert info == {**printed, "md5": hashlib.md5(model_file.read_bytes()).hexdigest()}


def test_page_and_docs_are_served_from_the_app(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="prediction"' in page.text and "http" not in page.text
    for asset in ("page/style.css", "page/app.js"):
        assert f'"{asset}"' in page.text and client.get(f"/{asset}").status_code == 200
    docs = client.get("/docs").text
    assert "cdn" not in docs.lower() and "https://" not in docs
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert (
            f"/static-offline-docs/{asset}" in docs and client.get(f"/static-offline-docs/{asset}").status_code == 200
        )
    for escape in ("/page/..%2fapp.py", "/page/%2e%2e/app.py", "/static-offline-docs/..%2f..%2fserve%2fapp.py"):
        assert client.get(escape).status_code == 404  # nothing outside the page's and Swagger UI's files
    body = client.get("/openapi.json").json()["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "image/*"}


def test_one_log_line_per_request(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="digits.serve"):
        post_raw(client, digit_one_png())
        client.get("/nowhere%0Aforged")
    lines = [r.getMessage() for r in caplog.records if r.name == "digits.serve"]
    assert len(lines) == 2
    assert lines[0].startswith("POST /predict 200 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("GET /nowhere%0Aforged 404 ")  # still percent-encoded: one line


def test_a_bug_is_a_500_with_one_line_and_no_traceback(model_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("a bug in the model code\nwith a second line")

    monkeypatch.setattr("digits.serve.app.calibrated_logits", broken)
    with client_for(model_file) as client:
        response = client.post("/predict", content=digit_one_png(), headers={"Content-Type": "image/png"})
        assert response.status_code == 500
        assert response.json() == {"error": "internal server error (the server's log has the details)"}
        assert client.get("/health").status_code == 200
