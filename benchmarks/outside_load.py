"""An outside load generator against a running `digits serve`: Apache Bench (`ab`, apache2-utils).

ab speaks HTTP/1.0 and opens a new connection per request (no -k): the worst case for the server's
HTTP handling, and what a client that does not keep connections alive costs. It counts a response
whose length differs from the first one's as a "Length" failure: POST /predict's body varies in
length (probabilities differ in their last digits with the batch's composition, and printing a
float takes as many digits as it needs), so those are reported apart and are not errors.
"""

import csv
import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BOUNDARY = "digits-load-boundary"


@dataclass(frozen=True)
class AbResult:
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    failed: int  # connect, receive and exceptions: the requests that really failed
    length_varied: int  # ab's "Length" failures: answered 200, with a body of another length
    non_2xx: int

    def row(self) -> str:
        return (
            f"{self.requests:>8}  {self.per_second:>6.0f}  {self.p50_ms:>6.1f}  {self.p99_ms:>6.1f}"
            f"  {self.failed:>6}  {self.non_2xx:>7}  {self.length_varied:>13}"
        )


AB_HEADER = "requests   req/s  p50 ms  p99 ms  failed  non-2xx  length varied"


def ab_available() -> bool:
    return shutil.which("ab") is not None


def multipart_body(png: bytes) -> bytes:
    """A multipart/form-data body with the PNG in the field `file`, as `curl -F file=@digit.png` sends it."""
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="digit.png"\r\n'
    head += "Content-Type: image/png\r\n\r\n"
    return head.encode() + png + f"\r\n--{BOUNDARY}--\r\n".encode()


def count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    return int(found.group(1)) if found else 0


def parse(output: str, percentiles: str) -> AbResult:
    """ab's report and its -e file (percentage served, time in ms) -> the figures."""
    times = {float(row[0]): float(row[1]) for row in list(csv.reader(io.StringIO(percentiles)))[1:]}
    rate = re.search(r"Requests per second:\s+([\d.]+)", output)
    assert rate, output  # ab printed no report: its own error is in `output`
    return AbResult(
        requests=count(r"Complete requests:\s+(\d+)", output),
        per_second=float(rate.group(1)),
        p50_ms=times[50.0],
        p99_ms=times[99.0],
        failed=sum(count(rf"{kind}: (\d+)", output) for kind in ("Connect", "Receive", "Exceptions")),
        length_varied=count(r"Length: (\d+)", output),
        non_2xx=count(r"Non-2xx responses:\s+(\d+)", output),
    )


def run_ab(url: str, png: bytes, requests: int, concurrency: int, timeout: float = 300) -> AbResult:
    """`requests` POST /predict of `png` as a form upload, `concurrency` at a time, a new connection each."""
    with tempfile.TemporaryDirectory() as tmp:
        body, percentiles = Path(tmp) / "body", Path(tmp) / "percentiles.csv"
        body.write_bytes(multipart_body(png))
        command = ["ab", "-q", "-n", str(requests), "-c", str(concurrency), "-s", "30", "-e", str(percentiles)]
        command += ["-p", str(body), "-T", f"multipart/form-data; boundary={BOUNDARY}", f"{url}/predict"]
        # a fixed program and our own arguments, no shell
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"ab failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        return parse(done.stdout, percentiles.read_text())
