"""`digits serve --workers 2` as real processes on loopback: both workers answer, a killed worker is
replaced while the other goes on, /metrics adds up every worker, and SIGTERM drains: /health says so,
the requests in flight complete, new connections are refused, and the exit status is 0."""

import os
import re
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from digits.model_info import file_md5
from tests.integration.test_serve_process import request, whole_response
from tests.serve_process import RunningServer, running_server
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


def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.1)


def test_both_workers_take_requests(model_file: Path, tmp_path: Path) -> None:
    with running_server(model_file, tmp_path / "server.log", ["--workers", "2"]) as server:
        workers = server.wait_for_workers(2)
        assert server.process.pid not in workers
        seen = set(pids_answering(server, 60))
        assert seen == set(workers)
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


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for whoever adopted it to reap it (Linux)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_left_without_their_master_drain_and_exit(model_file: Path, tmp_path: Path) -> None:
    with running_server(model_file, tmp_path / "server.log", ["--workers", "2"]) as server:
        workers = server.wait_for_workers(2)
        server.process.kill()  # SIGKILL: the master cannot stop them
        server.process.wait()
        assert all(running(pid) for pid in workers)
        wait_until(lambda: not any(running(pid) for pid in workers), 20, "the workers exited")


def test_ctrl_c_stops_master_and_workers_with_130(model_file: Path, tmp_path: Path) -> None:
    """Ctrl-C in a terminal signals the whole process group: the master and every worker at once."""
    log = tmp_path / "server.log"
    with running_server(model_file, log, ["--workers", "2"], prefix=["setsid"]) as server:  # a group of its own
        workers = server.wait_for_workers(2)
        assert request(server, "POST", "/predict", digit_one_png(), "image/png")[0] == 200
        os.killpg(server.process.pid, signal.SIGINT)
        assert server.process.wait(20) == 130
    assert not any(running(pid) for pid in workers)
    lines = log.read_text().splitlines()
    assert lines[-1] == "digits: interrupted", lines
    assert not [line for line in lines if "Traceback" in line or "was sent" in line], lines  # each exited 0


def metric(text: str, name: str, labels: str = "") -> float:
    """One sample's value in Prometheus text: `name{labels} value`; 0 when absent."""
    found = re.search(rf"^{re.escape(name)}{re.escape('{' + labels + '}' if labels else '')} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def scrape(server: RunningServer) -> str:
    connection_text = urlsplit(server.url)
    with socket.create_connection((connection_text.hostname, connection_text.port), timeout=30) as sock:
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


def start_upload(server: RunningServer, body: bytes) -> socket.socket:
    """A POST /predict in flight: the head and half the body sent, the rest still to come."""
    address = urlsplit(server.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=30)
    head = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n" % len(body)
    sock.sendall(head + body[: len(body) // 2])
    return sock


def finish_upload(sock: socket.socket, body: bytes) -> bytes:
    with sock:
        sock.sendall(body[len(body) // 2 :])
        answer = b""
        while not whole_response(answer) and (more := sock.recv(65536)):
            answer += more
    return answer


def refuses_connections(server: RunningServer) -> bool:
    address = urlsplit(server.url)
    try:
        with socket.create_connection((address.hostname, address.port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_drains_the_requests_in_flight_and_exits_0(
    model_file: Path, tmp_path: Path, workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    png = digit_one_png()
    temporary = tmp_path / "tmp"  # where the server makes its metrics folder (with --workers 2)
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    args = ["--workers", workers, "--drain-delay", "1.5"]
    with running_server(model_file, tmp_path / "server.log", args) as server:
        assert len(list(temporary.iterdir())) == (1 if workers == "2" else 0)
        in_flight = [start_upload(server, png) for _ in range(4)]
        time.sleep(0.3)  # the workers have accepted them
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        status, health = request(server, "GET", "/health")
        assert (status, health["status"]) == (503, "draining")
        assert request(server, "POST", "/predict", png, "image/png")[0] == 200  # still served while draining
        wait_until(lambda: refuses_connections(server), 10, "new connections refused once the delay is over")
        answers = [finish_upload(sock, png) for sock in in_flight]
        assert all(answer.startswith(b"HTTP/1.1 200 ") and b'"digit":' in answer for answer in answers), answers
        assert server.process.wait(20) == 0
    assert list(temporary.iterdir()) == []  # the metrics folder is gone
