"""download_file against real sources: a loopback HTTP server, local folders and file:// URLs."""

import time
from pathlib import Path

import pytest

from digits.core.errors import PipelineError
from digits.data.download import MIRROR_ENV, download_file, sources_with_env
from tests.support import Fault, gz, mirror_server, sha256, synthetic_mnist, write_mirror

NAME = "train-labels-idx1-ubyte"
PAYLOADS = synthetic_mnist(n_train=50, n_test=20)
PAYLOAD = PAYLOADS[NAME]


def fetch(sources: list[str], dest: Path, expected: str = sha256(PAYLOAD), retries: int = 0) -> str:
    return download_file(NAME, sources, expected, dest, root=dest.parent, timeout=2.0, retries=retries, backoff=0.01)


def test_http_mirror(tmp_path: Path) -> None:
    with mirror_server() as server:
        url = server.serve_mirror("/mnist", PAYLOADS)
        assert fetch([url], tmp_path / NAME) == url
    assert (tmp_path / NAME).read_bytes() == PAYLOAD


def test_local_directory_relative_to_root_and_file_url(tmp_path: Path) -> None:
    write_mirror(tmp_path / "mirror", PAYLOADS)
    assert fetch(["mirror"], tmp_path / NAME) == "mirror"
    assert (tmp_path / NAME).read_bytes() == PAYLOAD
    (tmp_path / NAME).unlink()
    fetch([(tmp_path / "mirror").as_uri()], tmp_path / NAME)
    assert (tmp_path / NAME).read_bytes() == PAYLOAD


def test_recompressed_payload_passes(tmp_path: Path) -> None:
    assert gz(PAYLOAD, 1) != gz(PAYLOAD, 9)
    write_mirror(tmp_path / "fast", PAYLOADS, level=1)
    fetch([str(tmp_path / "fast")], tmp_path / NAME)
    assert (tmp_path / NAME).read_bytes() == PAYLOAD


def test_falls_through_to_the_next_mirror(tmp_path: Path) -> None:
    with mirror_server() as server:
        broken = server.serve_mirror("/broken", {NAME: PAYLOAD[:-1] + b"\x07"})  # right length, wrong bytes
        good = server.serve_mirror("/good", PAYLOADS)
        assert fetch([f"{server.url}/missing/", broken, good], tmp_path / NAME) == good
    assert (tmp_path / NAME).read_bytes() == PAYLOAD


def test_every_source_failing_reports_each(tmp_path: Path) -> None:
    write_mirror(tmp_path / "wrong", {NAME: PAYLOAD + b"\0"})
    with mirror_server() as server:
        url = server.serve_mirror("/m", PAYLOADS)
        server.faults[f"/m/{NAME}.gz"] = Fault(status=404)
        with pytest.raises(PipelineError) as caught:
            fetch([url, str(tmp_path / "wrong"), str(tmp_path / "absent")], tmp_path / NAME)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{NAME}.gz: no source delivered a verified file:"
    assert "HTTP 404" in lines[1]
    assert "checksum mismatch" in lines[2] and sha256(PAYLOAD) in lines[2]
    assert "cannot read" in lines[3] and "No such file or directory" in lines[3]
    assert len(lines) == 4
    assert list(tmp_path.glob(f"{NAME}*")) == []  # nothing partial or unverified left


def test_transient_errors_are_retried(tmp_path: Path) -> None:
    with mirror_server() as server:
        url = server.serve_mirror("/m", PAYLOADS)
        server.faults[f"/m/{NAME}.gz"] = Fault(status=503)
        with pytest.raises(PipelineError, match=r"HTTP 503 .*\(after 3 attempts\)"):
            fetch([url], tmp_path / NAME, retries=2)
        assert server.requests.count(f"/m/{NAME}.gz") == 3


def test_permanent_errors_are_not_retried(tmp_path: Path) -> None:
    with mirror_server() as server:
        url = server.serve_mirror("/m", PAYLOADS)
        server.faults[f"/m/{NAME}.gz"] = Fault(status=404)
        with pytest.raises(PipelineError):
            fetch([url], tmp_path / NAME, retries=3)
        assert server.requests.count(f"/m/{NAME}.gz") == 1


def test_environment_mirror_goes_first() -> None:
    assert sources_with_env(["a", "b"], {MIRROR_ENV: " /data/mnist "}) == ["/data/mnist", "a", "b"]
    assert sources_with_env(["a"], {MIRROR_ENV: ""}) == ["a"]
    assert sources_with_env(["a"], {}) == ["a"]


def assert_nothing_left(folder: Path) -> None:
    """Only the verified file may exist: no .part, no temporary, no unverified file."""
    assert [p.name for p in folder.iterdir() if p.name.startswith(NAME)] in ([], [NAME])
    assert not list(folder.glob("*.part")) and not list(folder.glob(".*"))


FAULTS = {
    "404": (Fault(status=404), "HTTP 404"),
    "500": (Fault(status=500), "HTTP 500"),
    "cut mid-body": (Fault(cut_after=40), "network error: TransferCutShort: connection closed after 40 of"),
    "never answers": (Fault(hang=True), "network error: TimeoutError"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_http_faults_give_one_line_per_source(tmp_path: Path, fault: str) -> None:
    injected, message = FAULTS[fault]
    with mirror_server() as server:
        url = server.serve_mirror("/m", PAYLOADS)
        server.faults[f"/m/{NAME}.gz"] = injected
        start = time.monotonic()
        with pytest.raises(PipelineError) as caught:
            download_file(
                NAME, [url], sha256(PAYLOAD), tmp_path / NAME, root=tmp_path, timeout=0.5, retries=1, backoff=0.01
            )
        elapsed = time.monotonic() - start
    lines = str(caught.value).splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"  {url}: ") and message in lines[1]
    assert elapsed < 5  # bounded: timeouts and retries, never a hang
    assert_nothing_left(tmp_path)


def test_truncated_gzip_is_rejected(tmp_path: Path) -> None:
    with mirror_server() as server:
        url = server.serve_mirror("/m", PAYLOADS)
        body = server.files[f"/m/{NAME}.gz"]
        server.files[f"/m/{NAME}.gz"] = body[: len(body) // 2]  # complete response, half a gzip stream
        with pytest.raises(PipelineError, match="corrupt or truncated gzip data"):
            fetch([url], tmp_path / NAME)
    assert_nothing_left(tmp_path)


def test_not_gzip_is_rejected(tmp_path: Path) -> None:
    with mirror_server() as server:
        url = server.serve_mirror("/m", PAYLOADS)
        server.files[f"/m/{NAME}.gz"] = PAYLOAD  # served uncompressed under the .gz name
        with pytest.raises(PipelineError, match="not a gzip file"):
            fetch([url], tmp_path / NAME)
    assert_nothing_left(tmp_path)


def test_redirect_is_followed(tmp_path: Path) -> None:
    with mirror_server() as server:
        server.serve_mirror("/real", PAYLOADS)
        server.faults[f"/moved/{NAME}.gz"] = Fault(redirect_to=f"{server.url}/real/{NAME}.gz")
        fetch([f"{server.url}/moved/"], tmp_path / NAME)
        assert server.requests == [f"/moved/{NAME}.gz", f"/real/{NAME}.gz"]
    assert (tmp_path / NAME).read_bytes() == PAYLOAD


def test_only_the_last_source_is_good(tmp_path: Path) -> None:
    with mirror_server() as server:
        sources = [server.serve_mirror(f"/{kind}", PAYLOADS) for kind in ("404", "cut", "silent", "good")]
        server.faults[f"/404/{NAME}.gz"] = Fault(status=404)
        server.faults[f"/cut/{NAME}.gz"] = Fault(cut_after=10)
        server.faults[f"/silent/{NAME}.gz"] = Fault(hang=True)
        used = download_file(
            NAME,
            [str(tmp_path / "nowhere"), *sources],
            sha256(PAYLOAD),
            tmp_path / NAME,
            root=tmp_path,
            timeout=0.5,
            retries=1,
            backoff=0.01,
        )
        assert used == sources[-1]
    assert (tmp_path / NAME).read_bytes() == PAYLOAD
    assert_nothing_left(tmp_path)
