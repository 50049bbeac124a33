"""`digits serve` as a child process for the benchmark and the tests (as tests/seaweed.py is SeaweedFS): on a
free port, always stopped."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVING = re.compile(rb"serving .* on (http://\S+)/\n")  # the line server.py logs once it listens


@dataclass(frozen=True)
class RunningServer:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    process: subprocess.Popen[bytes]
    log: Path  # the server's stderr: the serving line, then one line per request

    def workers(self) -> list[int]:
        """The worker processes' ids (--workers N >= 2: gunicorn's forks; none with one process) (Linux)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return sorted(int(pid) for pid in children.split())

    def wait_for_workers(self, count: int, timeout: float = 30) -> list[int]:
        """The workers' ids once there are `count` (the serving line is logged before they are forked)."""
        deadline = time.monotonic() + timeout
        while len(self.workers()) != count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.workers())} workers, not {count}, after {timeout:g} s")
            time.sleep(0.05)
        return self.workers()

    def rss_bytes(self, pid: int | None = None) -> int:
        """The resident memory of the server (or of its process `pid`) now (Linux)."""
        status = Path(f"/proc/{pid or self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]

    def private_bytes(self, pid: int) -> int:
        """Memory only this process uses, not shared with the others (a fork's copied-on-write pages) (Linux)."""
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        return sum(int(kb) * 1024 for kb in re.findall(r"^Private_(?:Clean|Dirty):\s+(\d+) kB", rollup, re.M))

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far, user and system, all threads and workers (Linux)."""
        total = 0
        for pid in [self.process.pid, *self.workers()]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.1)


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for whoever adopted it to reap it (Linux)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_for_url(process: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = SERVING.search(log.read_bytes())
        if found:
            return found.group(1).decode()
        if process.poll() is not None:
            raise RuntimeError(f"digits serve exited with {process.returncode}: {log.read_text().strip()}")
        time.sleep(0.05)
    raise TimeoutError(f"digits serve did not start listening within {timeout:g} s: {log.read_text().strip()}")


def stop(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGINT (uvicorn shuts down gracefully, as on Ctrl-C), then SIGKILL if it takes longer than `grace` s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_server(
    model: Path, log: Path, args: Sequence[str] = (), prefix: Sequence[str] = (), timeout: float = 60
) -> Iterator[RunningServer]:
    """Start `digits serve --port 0 ARGS` (under `prefix`, e.g. `unshare --net ...`), yield once it listens,
    and stop it on the way out, whatever happened."""
    command = [*prefix, sys.executable, "-m", "digits.cli", "serve", "--model", str(model), "--port", "0", *args]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
    try:
        yield RunningServer(wait_for_url(process, log, timeout), process, log)
    finally:
        stop(process)
