"""GET /metrics and /health's draining state, against the real app in-process (one process: prometheus-client's
default registry, whose values these tests read before and after)."""

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from digits.cli import build_parser, main
from digits.prediction.model_info import file_md5
from digits.serve.drain import Drain
from digits.serve.settings import Settings
from tests.serve_support import digit_one_png, small_model
from tests.unit.test_serve_api import client_for as api_client


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("model") / "model.pt")


def client_for(model_file: Path, drain: Drain | None = None) -> TestClient:
    return api_client(model_file, Settings(max_body_bytes=1000), drain)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_and_refusals_are_counted_by_path_status_and_reason(model_file: Path) -> None:
    names = [
        ("digits_requests_total", {"path": "/predict", "status": "200"}),
        ("digits_requests_total", {"path": "/predict", "status": "415"}),
        ("digits_requests_total", {"path": "/predict", "status": "413"}),
        ("digits_requests_total", {"path": "other", "status": "404"}),
        ("digits_requests_total", {"path": "/page/{name}", "status": "404"}),
        ("digits_refused_total", {"reason": "unsupported_type"}),
        ("digits_refused_total", {"reason": "bad_image"}),
        ("digits_refused_total", {"reason": "too_large"}),
        ("digits_refused_total", {"reason": "not_found"}),
        ("digits_refused_total", {"reason": "collect_off"}),
        ("digits_refused_total", {"reason": "bad_parameter"}),
        ("digits_predict_seconds_count", {}),
        ("digits_batch_images_sum", {}),
    ]
    before = [value(name, **labels) for name, labels in names]
    with client_for(model_file) as client:
        for _ in range(3):
            assert client.post("/predict", content=digit_one_png(), headers={"Content-Type": "image/png"}).is_success
        client.post("/predict", content=b"hi", headers={"Content-Type": "text/plain"})
        client.post("/predict", content=b"hi", headers={"Content-Type": "image/png"})  # 422: not an image
        client.post("/predict", content=bytes(2000), headers={"Content-Type": "image/png"})  # over the 1000 bytes
        client.get("/nowhere")
        client.get("/page/nothing.js")
        client.post("/collect", files={"file": ("a.png", digit_one_png())}, data={"label": "1"})  # 403: no --collect
        client.post("/predict?with_image=maybe", content=digit_one_png(), headers={"Content-Type": "image/png"})
    after = [value(name, **labels) for name, labels in names]
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 7, 3]


def test_metrics_are_prometheus_text_with_the_model_md5(model_file: Path) -> None:
    with client_for(model_file) as client:
        client.get("/health")
        response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=")
    assert f'digits_model_info{{architecture="cnn",md5="{file_md5(model_file)}"}} 1.0' in response.text
    assert "# TYPE digits_predict_seconds histogram" in response.text
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]  # for the operator, not in the API docs


def test_health_is_503_while_draining_and_predict_still_answers(model_file: Path) -> None:
    drain = Drain(delay=5)
    with client_for(model_file, drain) as client:
        ok = client.get("/health")
        assert (ok.status_code, ok.json()["status"], ok.json()["worker"]) == (200, "ok", os.getpid())
        drain.begin()
        draining = client.get("/health")
        assert (draining.status_code, draining.json()["status"]) == (503, "draining")
        assert client.post("/predict", content=digit_one_png(), headers={"Content-Type": "image/png"}).is_success
    assert drain.draining and not drain.over()  # the delay (5 s) is not over: the socket stays open meanwhile


def test_workers_and_drain_delay_options(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["serve", "--workers", "auto", "--drain-delay", "2.5"])
    assert (args.workers, args.drain_delay) == (len(os.sched_getaffinity(0)), 2.5)
    assert build_parser().parse_args(["serve"]).workers == len(os.sched_getaffinity(0))  # auto
    assert build_parser().parse_args(["serve", "--workers", "1"]).workers == 1
    for option, bad in (("--workers", "0"), ("--workers", "many"), ("--drain-delay", "-1"), ("--drain-delay", "x")):
        with pytest.raises(SystemExit) as exit_:
            main(["serve", option, bad])
        assert exit_.value.code == 2 and f"{option}: " in capsys.readouterr().err
