"""`digits serve --workers 2` as real processes on loopback: both workers answer, a killed worker is
replaced while the other goes on, and /metrics adds up every worker. (Shutdown: test_serve_shutdown.py.)"""

import os
import re
import signal
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from digits.prediction.model_info import file_md5
from tests.integration.test_serve_process import request
from tests.serve_process import RunningServer, running_server, wait_until
from tests.serve_support import digit_one_png, small_model

THREADS = 8  # concurrent clients, so that both workers get requests


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("model") / "model.pt")


def pids_answering(server: RunningServer, requests: int) -> list[int]:
    """The worker pid of each of `requests` GET /health, from THREADS clients (a new connection each)."""
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda _: request(server, "GET", "/health"), range(requests)))
    assert {status for status, _ in answers} == {200}, answers
    return [answer["worker"] for _, answer in answers]


def test_both_workers_take_requests(model_file: Path, tmp_path: Path) -> None:
    with running_server(model_file, tmp_path / "server.log", ["--workers", "2"]) as server:
        workers = server.wait_for_workers(2)
        assert server.process.pid not in workers
        # batches of 60 until both have answered, for at most 30 s: under load (coverage, the other workers' tests)
        # one worker took all of a first 60 while the other was still starting to accept
        seen: set[int] = set()

        def both_answered() -> bool:
            seen.update(pids_answering(server, 60))
            return seen == set(workers)

        wait_until(both_answered, 30, "an answer from each worker")
        assert request(server, "POST", "/predict", digit_one_png(), "image/png")[0] == 200
    assert " 2 worker processes) on http://127.0.0.1:" in (tmp_path / "server.log").read_text()


def test_a_killed_worker_is_replaced_and_the_other_answers_meanwhile(model_file: Path, tmp_path: Path) -> None:
    with running_server(model_file, tmp_path / "server.log", ["--workers", "2"]) as server:
        killed, other = server.wait_for_workers(2)
        os.kill(killed, signal.SIGKILL)
        wait_until(lambda: killed not in server.workers(), 10, f"worker {killed} gone")
        # every request right after: a new connection each, none may fail (no retries)
        statuses = [request(server, "POST", "/predict", digit_one_png(), "image/png")[0] for _ in range(20)]
        assert statuses == [200] * 20
        wait_until(lambda: len(server.workers()) == 2, 30, "a new worker started")
        replacement = (set(server.workers()) - {other}).pop()
        wait_until(lambda: replacement in pids_answering(server, 16), 30, f"the new worker {replacement} answers")
    assert f"Worker (pid:{killed}) was sent SIGKILL!" in (tmp_path / "server.log").read_text()


def metric(text: str, name: str, labels: str = "") -> float:
    """One sample's value in Prometheus text: `name{labels} value`; 0 when absent."""
    found = re.search(rf"^{re.escape(name)}{re.escape('{' + labels + '}' if labels else '')} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def scrape(server: RunningServer) -> str:
    """GET /metrics' body, checking its status and content type."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while more := sock.recv(65536):
            answer += more
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"content-type: text/plain; version=" in head.lower(), head
    return body.decode()


def test_metrics_add_up_every_worker(model_file: Path, tmp_path: Path) -> None:
    with running_server(model_file, tmp_path / "server.log", ["--workers", "2"]) as server:
        png = digit_one_png()
        with ThreadPoolExecutor(THREADS) as pool:
            predicted = list(pool.map(lambda _: request(server, "POST", "/predict", png, "image/png")[0], range(30)))
            refused = list(pool.map(lambda _: request(server, "POST", "/predict", b"hi", "text/plain")[0], range(7)))
            bad = list(pool.map(lambda _: request(server, "POST", "/predict", b"hi", "image/png")[0], range(5)))
        assert (predicted, refused, bad) == ([200] * 30, [415] * 7, [422] * 5)
        assert len(set(pids_answering(server, 40))) == 2  # both workers answered (some of) these
        text = scrape(server)
    assert metric(text, "digits_requests_total", 'path="/predict",status="200"') == 30
    assert metric(text, "digits_requests_total", 'path="/predict",status="415"') == 7
    assert metric(text, "digits_requests_total", 'path="/predict",status="422"') == 5
    assert metric(text, "digits_requests_total", 'path="/health",status="200"') == 40
    assert metric(text, "digits_refused_total", 'reason="unsupported_type"') == 7
    assert metric(text, "digits_refused_total", 'reason="bad_image"') == 5
    assert metric(text, "digits_predict_seconds_count") == 42
    assert metric(text, "digits_batch_images_sum") == 30  # every image through the model once, in some batch
    assert 1 <= metric(text, "digits_batch_images_count") <= 30
    assert metric(text, "digits_model_info", f'architecture="cnn",md5="{file_md5(model_file)}"') == 1
