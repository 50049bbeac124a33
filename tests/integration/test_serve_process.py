"""`digits serve` as users start it: a real uvicorn process on a free loopback port, stopped in the end
whatever happens. Oversized uploads are refused before they are read; bad model files and busy ports
are one line and exit status 1."""

import contextlib
import http.client
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from digits.cli import main
from digits.serve.settings import MAX_BODY_BYTES
from tests.serve_process import RunningServer, running_server
from tests.serve_support import digit_one_png, encode_form, small_model


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("model") / "model.pt")


@pytest.fixture(scope="module")
def server(model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(model_file, tmp_path_factory.mktemp("server") / "server.log") as running:
        yield running


def connect(server: RunningServer) -> http.client.HTTPConnection:
    address = urlsplit(server.url)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=30)


def request(server: RunningServer, method: str, path: str, body: bytes = b"", content_type: str = "") -> tuple:
    connection = connect(server)
    try:
        connection.request(method, path, body or None, {"Content-Type": content_type} if content_type else {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_listens_on_loopback_and_answers_both_body_forms(server: RunningServer) -> None:
    assert urlsplit(server.url).hostname == "127.0.0.1"
    png = digit_one_png()
    status, raw = request(server, "POST", "/predict", png, "image/png")
    form, boundary = encode_form("file", "one.png", png)
    assert (status, request(server, "POST", "/predict", form, f"multipart/form-data; boundary={boundary}")) == (
        200,
        (200, raw),
    )
    assert request(server, "GET", "/health")[1]["status"] == "ok"
    assert len(request(server, "GET", "/model")[1]["md5"]) == 32


def raw_exchange(server: RunningServer, head: bytes, chunk: bytes) -> tuple[bytes, int]:
    """Send `head`, then `chunk` again and again until the server answers (or 30 s pass);
    return (its answer, body bytes sent)."""
    address = urlsplit(server.url)
    sent, answer, pending = 0, b"", b""
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        deadline = time.monotonic() + 30
        while not answer and time.monotonic() < deadline:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            pending = pending or chunk
            try:
                done = sock.send(pending)
            except BlockingIOError:
                time.sleep(0.01)  # the server is not reading: the socket buffers are full
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            sent, pending = sent + done, pending[done:]
        sock.setblocking(True)
        while not whole_response(answer):  # the body can come in a later packet than the head
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    return answer, sent


def whole_response(answer: bytes) -> bool:
    """The head and as many body bytes as its Content-Length says have arrived."""
    head, separator, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(separator) and len(body) >= (int(length.group(1)) if length else 0)


def test_a_declared_oversized_body_is_refused_without_reading_it(server: RunningServer) -> None:
    declared = 1024 * 1024 * 1024  # 1 GiB announced; a few MB at most ever sent
    head = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n" % declared
    answer, sent = raw_exchange(server, head, bytes(65536))
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b'{"error":"request body too large: the limit is 10485760 bytes"}' in answer
    assert sent < MAX_BODY_BYTES
    assert request(server, "GET", "/health")[0] == 200


def test_a_chunked_oversized_body_is_refused_once_it_passes_the_limit(server: RunningServer) -> None:
    head = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n%s\r\n" % (65536, bytes(65536))
    answer, sent = raw_exchange(server, head, chunk)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert MAX_BODY_BYTES < sent < 3 * MAX_BODY_BYTES  # read up to the limit (and what the buffers held), no more
    assert request(server, "POST", "/predict", digit_one_png(), "image/png")[0] == 200


def test_one_log_line_per_request(model_file: Path, tmp_path: Path) -> None:
    with running_server(model_file, tmp_path / "server.log") as server:
        request(server, "POST", "/predict", digit_one_png(), "image/png")
        request(server, "POST", "/predict", b"text", "text/plain")
        request(server, "GET", "/health")
        # a line is written once its response has gone out: wait for the third before the Ctrl-C, which on a
        # busy machine can otherwise come between the two
        deadline = time.monotonic() + 30  # a bound, not a wait: 10 s ran out once with both cores busy
        while (tmp_path / "server.log").read_text().count(" ms\n") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    first, *lines, last = (tmp_path / "server.log").read_text().splitlines()
    assert f"serving {model_file} (md5 " in first and first.endswith(f" on {server.url}/")
    # one line per request; in any order: a line is written after its response has gone out, so on a busy
    # machine the next request's line can come first (seen once in CI: the 415's after the /health)
    assert sorted(line.split()[2:5] for line in lines) == [
        ["GET", "/health", "200"],
        ["POST", "/predict", "200"],
        ["POST", "/predict", "415"],
    ]
    assert all(line.endswith(" ms") for line in lines)
    assert (last, server.process.returncode) == ("digits: interrupted", 130)  # SIGINT, as Ctrl-C stops it


def serve_error(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", *args])
    out, err = capsys.readouterr()
    assert out == ""
    return int(exit_.value.code or 0), err


def test_a_missing_or_broken_model_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.pt").write_bytes(b"PK\x03\x04 not really a zip archive")
    for model in (tmp_path / "missing.pt", tmp_path / "broken.pt"):
        code, err = serve_error(capsys, "--model", str(model), "--port", "0")
        assert code == 1 and err.count("\n") == 1 and err.startswith(f"digits: error: {model}: "), err
        assert "dvc repro" in err


def test_a_busy_port_is_one_line_and_exit_1(model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        code, err = serve_error(capsys, "--model", str(model_file), "--port", str(port))
    assert code == 1 and err == f"digits: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_max_batch_must_be_a_positive_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = serve_error(capsys, "--max-batch", value)
    assert code == 2 and f"--max-batch: must be a whole number of at least 1, got '{value}'" in err
