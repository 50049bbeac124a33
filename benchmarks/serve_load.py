"""Load on a real `digits serve`: requests/s and latency at 1, 8 and 32 concurrent clients, with and
without micro-batching, and the server's memory over a long run.

    python -m benchmarks.serve_load --model models/model.pt   # from the repo root, after `dvc repro`

One server per --max-batch value to compare is started (`digits serve --port 0`, child processes
on loopback) and warmed up; the levels then run on each server in turn. Each of C client threads
sends its share of the requests one after another over one keep-alive connection (http.client):
POST /predict with a PNG of a real MNIST test digit drawn black on white at --size pixels (112:
what the page sends). The load generator runs in this process on the same cores as the servers,
so the figures are for both together; the CPU columns say how the time split. The servers are
stopped at the end whatever happens.
"""

import argparse
import contextlib
import http.client
import io
import json
import os
import resource
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from PIL import Image

from benchmarks.predict_speed import mnist_test_set
from tests.serve_process import RunningServer, running_server

CLIENTS = (1, 8, 32)
MB = 1024 * 1024


@dataclass
class Level:
    clients: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    wrong: int  # answered, but not the digit's label
    batch: float  # images per forward pass in the server, on average
    rss_before: int
    rss_after: int
    server_cpu: float  # seconds of CPU the server used
    client_cpu: float  # ... and this process, the load generator

    def row(self) -> str:
        p50, p99 = np.percentile(self.latencies_ms, [50, 99]) if self.latencies_ms else (float("nan"),) * 2
        return (
            f"{self.clients:>7}  {self.requests:>8}  {self.requests / self.seconds:>6.0f}  {p50:>6.1f}  {p99:>6.1f}"
            f"  {self.errors:>6}  {1 - self.wrong / max(1, self.requests - self.errors):>8.4f}  {self.batch:>10.1f}"
            f"  {1000 * self.server_cpu / self.requests:>6.2f}  {1000 * self.client_cpu / self.requests:>6.2f}"
            f"  {self.rss_before / MB:>6.0f} -> {self.rss_after / MB:.0f} MB"
        )


HEADER = (
    "clients  requests   req/s  p50 ms  p99 ms  errors  accuracy  mean batch  CPU ms per request: server  client"
    "  server RSS before -> after"
)


def png_digits(n: int, size: int) -> list[tuple[bytes, int]]:
    """n real MNIST test digits as PNG files' bytes (black ink on white, size x size) with their labels."""
    images, labels = mnist_test_set()
    pictures = []
    for digit, label in zip(images[:n], labels[:n], strict=True):
        buffer = io.BytesIO()
        Image.fromarray(255 - digit).resize((size, size), Image.Resampling.BICUBIC).save(buffer, format="PNG")
        pictures.append((buffer.getvalue(), int(label)))
    return pictures


def client(url: str, work: list[tuple[bytes, int]], latencies: list[float], failures: list[str]) -> None:
    """Send `work` in order over one keep-alive connection; a failed request opens a new connection."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        for body, label in work:
            start = time.perf_counter()
            try:
                connection.request("POST", "/predict", body, {"Content-Type": "image/png"})
                response = connection.getresponse()
                answer = json.loads(response.read())
            except (OSError, http.client.HTTPException, ValueError) as err:
                failures.append(type(err).__name__)
                connection.close()
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                failures.append(f"HTTP {response.status}")
            elif answer["digit"] != label:
                failures.append("wrong")
    finally:
        connection.close()


def forward_passes(server: RunningServer) -> tuple[int, int]:
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", "/health")
        health = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    return health["forward_passes"], health["images"]


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drive(server: RunningServer, pictures: list[tuple[bytes, int]], clients: int, requests: int) -> Level:
    """`requests` POST /predict from `clients` threads at once, each sending its share back to back."""
    work = [pictures[i % len(pictures)] for i in range(requests)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[list[str]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=client, args=(server.url, work[i::clients], latencies[i], failures[i]))
        for i in range(clients)
    ]
    rss_before, (passes, images) = server.rss_bytes(), forward_passes(server)
    server_cpu, client_cpu = server.cpu_seconds(), own_cpu_seconds()
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    server_cpu, client_cpu = server.cpu_seconds() - server_cpu, own_cpu_seconds() - client_cpu
    passes_after, images_after = forward_passes(server)
    flat = [f for fs in failures for f in fs]
    errors = len(flat) - flat.count("wrong")
    return Level(
        clients,
        requests,
        seconds,
        [ms for ls in latencies for ms in ls],
        errors,
        flat.count("wrong"),
        (images_after - images) / max(1, passes_after - passes),
        rss_before,
        server.rss_bytes(),
        server_cpu,
        client_cpu,
    )


def compare(args: argparse.Namespace, pictures: list[tuple[bytes, int]], servers: dict[int, RunningServer]) -> None:
    """Each level on each server in turn, `args.rounds` times: neighbours' load on the shared cores
    changes from minute to minute, so the configurations are measured side by side, not one after
    the other."""
    print(f"\n{'max batch':>9}  {HEADER}")
    for clients in CLIENTS:
        for _ in range(args.rounds):
            for max_batch, server in servers.items():
                print(f"{max_batch:>9}  {drive(server, pictures, clients, args.requests).row()}", flush=True)


def memory_run(args: argparse.Namespace, pictures: list[tuple[bytes, int]], server: RunningServer) -> None:
    level = drive(server, pictures, CLIENTS[-1], args.long)
    print(
        f"\n{args.long:,} more requests at {CLIENTS[-1]} clients, max batch {args.batches[0]}:\n{HEADER}\n{level.row()}"
    )
    growth = (level.rss_after - level.rss_before) / MB
    print(f"RSS growth over these {args.long:,} requests: {growth:+.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="model file to serve")
    parser.add_argument("--requests", type=int, default=2000, help="requests per level (default: %(default)s)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="measurements per level and server (default: %(default)s)"
    )
    parser.add_argument("--long", type=int, default=20_000, help="requests in the memory run (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=300, help="requests before measuring (default: %(default)s)")
    parser.add_argument("--size", type=int, default=112, help="side of the PNG digits (default: %(default)s)")
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 1], help="--max-batch values to compare")
    args = parser.parse_args()
    pictures = png_digits(1000, args.size)
    kb = np.mean([len(body) for body, _ in pictures]) / 1024
    print(f"{len(pictures)} MNIST test digits as {args.size}x{args.size} PNG ({kb:.1f} kB each on average)")
    print(f"servers: digits serve --max-batch {' and '.join(map(str, args.batches))} (1: micro-batching off)")
    print(f"load average (1 min) of the machine before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        servers = {
            b: stack.enter_context(running_server(args.model, Path(tmp) / f"server-{b}.log", ["--max-batch", str(b)]))
            for b in args.batches
        }
        for server in servers.values():
            drive(server, pictures, 8, args.warmup)
        compare(args, pictures, servers)
        if args.long:
            memory_run(args, pictures, servers[args.batches[0]])
        sent = args.warmup + len(CLIENTS) * args.rounds * args.requests
        for max_batch, server in servers.items():
            logged = server.log.read_text().count(" POST /predict 200 ")
            total = sent + (args.long if max_batch == args.batches[0] else 0)
            print(f"server log, max batch {max_batch}: {logged:,} 'POST /predict 200' lines for {total:,} requests")
    print(f"load average (1 min) of the machine after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
