"""The benchmark's own load generator (benchmarks/serve_load.py): C client threads in this process, each
sending its share of the requests one after another over one keep-alive connection (http.client), POST
/predict with a PNG of a real MNIST test digit as the raw body."""

import http.client
import io
import json
import re
import resource
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
from PIL import Image

from benchmarks.predict_speed import mnist_test_set
from tests.serve_process import RunningServer

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
    memory_before: int  # serving_memory()
    memory_after: int
    server_cpu: float  # seconds of CPU the server used
    client_cpu: float  # ... and this process, the load generator

    def row(self) -> str:
        p50, p99 = np.percentile(self.latencies_ms, [50, 99]) if self.latencies_ms else (float("nan"),) * 2
        return (
            f"{self.clients:>7}  {self.requests:>8}  {self.requests / self.seconds:>6.0f}  {p50:>6.1f}  {p99:>6.1f}"
            f"  {self.errors:>6}  {1 - self.wrong / max(1, self.requests - self.errors):>8.4f}  {self.batch:>10.1f}"
            f"  {1000 * self.server_cpu / self.requests:>6.2f}  {1000 * self.client_cpu / self.requests:>6.2f}"
            f"  {self.memory_before / MB:>6.0f} -> {self.memory_after / MB:.0f} MB"
        )


HEADER = (
    "clients  requests   req/s  p50 ms  p99 ms  errors  accuracy  mean batch  CPU ms per request: server  client"
    "  server memory before -> after"
)


def serving_memory(server: RunningServer) -> int:
    """One process: its RSS. Workers: their private memory, added up (what they share with the master,
    the model and torch, is counted once, in the master)."""
    workers = server.workers()
    return sum(server.private_bytes(pid) for pid in workers) if workers else server.rss_bytes()


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
    """Forward passes and the images in them so far, over every worker (from /metrics: /health is one worker's)."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    found = dict(re.findall(r"^digits_batch_images_(count|sum) (\S+)$", text, re.M))
    return round(float(found.get("count", 0))), round(float(found.get("sum", 0)))


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
    memory_before, (passes, images) = serving_memory(server), forward_passes(server)
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
        memory_before,
        serving_memory(server),
        server_cpu,
        client_cpu,
    )
