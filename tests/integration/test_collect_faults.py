"""POST /collect when things go wrong: a server killed (SIGKILL) in the middle of a burst of stores, a
full disk (a tiny tmpfs, mounted in a mount namespace of the server's own), and two servers on one folder."""

import http.client
import subprocess
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pytest

from digits.data.collection import TEMP_SUFFIX, Collection, read_picture
from tests.integration.test_serve_collect import THREADS, collect, files_in
from tests.integration.test_serve_process import request
from tests.serve_process import running_server
from tests.serve_support import digit_one_png, distinct_digits, small_model

# A tmpfs of two 4 kB pages mounted on "$0", then the server; unprivileged where user namespaces are allowed.
TINY_DISK = [
    "unshare",
    "--user",
    "--map-root-user",
    "--mount",
    "sh",
    "-c",
    'mount -t tmpfs -o size=8k tmpfs "$0" && exec "$@"',
]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("model") / "model.pt")


def can_mount_a_tmpfs(probe: Path) -> bool:
    return subprocess.run([*TINY_DISK, str(probe), "true"], capture_output=True).returncode == 0


def assert_whole(folder: Path) -> None:
    """Every picture in `folder` is whole (its name is its hash, it decodes to 28x28), and once the
    temporaries of dead writers are swept (age 0: no writer is alive) nothing else is left."""
    visible = [path for path in folder.glob("[0-9]/*") if not path.name.startswith(".")]
    for path in visible:
        assert read_picture(path).shape == (28, 28), path
    assert all(path.name.endswith(TEMP_SUFFIX) for path in folder.glob("[0-9]/.*"))
    Collection(folder, stale_seconds=0)
    assert sorted(folder.glob("[0-9]/*")) == sorted(visible)


def test_a_server_killed_mid_burst_leaves_only_whole_pictures(model_file: Path, tmp_path: Path) -> None:
    folder, pictures = tmp_path / "collected", distinct_digits(60)
    # one process, so that SIGKILL ends everything serving at once (workers would drain: test_serve_workers.py)
    args = ["--collect", str(folder), "--workers", "1"]
    with running_server(model_file, tmp_path / "server.log", args) as server:
        with ThreadPoolExecutor(THREADS) as pool:
            stores = [pool.submit(collect, server, picture, str(i % 10)) for i, picture in enumerate(pictures)]
            for done, _ in enumerate(as_completed(stores)):
                if done == 10:  # ten answered, the rest in flight or queued
                    server.process.kill()
                    break
            answered = [f.result() for f in stores if f.exception() is None]
        lost = [f.exception() for f in stores if f.exception() is not None]
    assert 10 <= len(answered) < 60 and lost, (len(answered), len(lost))
    assert all(isinstance(err, (ConnectionError, http.client.HTTPException, OSError)) for err in lost), lost
    assert all(status == 201 for status, _ in answered)
    kept = {str(path.relative_to(folder)) for path, _ in Collection(folder).pictures()}
    assert {answer["path"] for _, answer in answered} <= kept  # every store answered is on disk
    assert_whole(folder)


def test_a_full_disk_fails_the_store_and_the_server_goes_on(model_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "collected"
    folder.mkdir()
    if not can_mount_a_tmpfs(tmp_path):
        pytest.skip("cannot mount a tmpfs in a namespace of our own (unshare --user --mount is not allowed here)")
    log = tmp_path / "server.log"
    with running_server(model_file, log, ["--collect", str(folder)], prefix=[*TINY_DISK, str(folder)]) as server:
        inside = Path(f"/proc/{server.process.pid}/root") / folder.relative_to("/")  # the server's view: the tmpfs
        answers = [collect(server, picture, "5") for picture in distinct_digits(6)]
        statuses = [status for status, _ in answers]
        assert statuses[0] == 201 and 507 in statuses and set(statuses) == {201, 507}, answers
        full = answers[statuses.index(507)]
        assert full == (507, {"error": "cannot store the picture: No space left on device"})
        assert request(server, "POST", "/predict", digit_one_png(), "image/png")[0] == 200
        assert request(server, "GET", "/health")[0] == 200
        assert collect(server, distinct_digits(1)[0], "5") == (200, {"path": answers[0][1]["path"], "created": False})
        assert files_in(inside) == sorted(answer["path"] for status, answer in answers if status == 201)
        assert_whole(inside)
    assert files_in(folder) == []  # the tmpfs went with the server's namespace: nothing was written out here


def test_two_servers_on_one_folder_store_each_picture_once(model_file: Path, tmp_path: Path) -> None:
    folder, png = tmp_path / "collected", digit_one_png()
    args = ["--collect", str(folder)]
    with (
        running_server(model_file, tmp_path / "a.log", args) as first,
        running_server(model_file, tmp_path / "b.log", args) as second,
        ThreadPoolExecutor(THREADS) as pool,
    ):
        answers = list(pool.map(lambda i: collect((first, second)[i % 2], png, str(i % 3)), range(24)))
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201, 409}
    [(path, label)] = Collection(folder).pictures()  # the lock on the folder holds across processes
    assert all(status != 200 or answer["path"] == f"{label}/{path.name}" for status, answer in answers)
    assert_whole(folder)
