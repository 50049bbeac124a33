"""Load on real `digits serve` processes: 1 and 2 worker processes side by side, under this benchmark's own
keep-alive clients and under an outside load generator (Apache Bench), and the servers' memory.

    python -m benchmarks.serve_load --model models/model.pt   # from the repo root, after `dvc repro`

One server per configuration (--workers x --batches: `digits serve --port 0`, child processes on
loopback) is started and warmed up. Then, on each server in turn, `--rounds` times:
- the own client (benchmarks/load_client.py) at 1, 8 and 32 concurrent keep-alive clients, POST
  /predict with PNGs of real MNIST test digits drawn black on white at --size pixels (112: what the
  page sends) as the raw body;
- `ab` (benchmarks/outside_load.py), when installed: --ab-requests form uploads of one 160x160 PNG
  digit, 32 at a time, HTTP/1.0 with a new connection per request.
The load generators run on the same cores as the servers, so the figures are for both together; the
CPU columns say how the time split. Last, the memory of every process, and a long run for its growth.
The servers are stopped at the end whatever happens.
"""

import argparse
import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.load_client import HEADER, MB, drive, png_digits
from benchmarks.outside_load import AB_HEADER, ab_available, run_ab
from tests.serve_process import RunningServer, running_server

CLIENTS = (1, 8, 32)
AB_CONCURRENCY = 32
AB_SIDE = 160  # pixels: the picture the issue's `ab` measurement sent


def name(workers: int, batch: int) -> str:
    return f"{workers} worker{'s' if workers > 1 else ''}, batch {batch}"


def own_client(args: argparse.Namespace, pictures: list[tuple[bytes, int]], servers: dict[str, RunningServer]) -> None:
    """Each level on each server in turn, `args.rounds` times: neighbours' load on the shared cores
    changes from minute to minute, so the configurations are measured side by side, not one after
    the other."""
    print(f"\nown client (keep-alive, raw PNG body, {args.size} px):\n{'server':>19}  {HEADER}")
    for clients in CLIENTS:
        for _ in range(args.rounds):
            for label, server in servers.items():
                print(f"{label:>19}  {drive(server, pictures, clients, args.requests).row()}", flush=True)


def outside(args: argparse.Namespace, png: bytes, servers: dict[str, RunningServer]) -> None:
    if not ab_available():
        print("\nab (apache2-utils) is not installed: no outside load generator run")
        return
    print(f"\nab -c {AB_CONCURRENCY} (HTTP/1.0, a new connection per request, multipart upload of a {AB_SIDE} px PNG):")
    print(f"{'server':>19}  {AB_HEADER}  server CPU ms per request")
    for _ in range(args.rounds):
        for label, server in servers.items():
            cpu = server.cpu_seconds()
            result = run_ab(server.url, png, args.ab_requests, AB_CONCURRENCY)
            cpu_ms = 1000 * (server.cpu_seconds() - cpu) / max(1, result.requests)
            print(f"{label:>19}  {result.row()}  {cpu_ms:>25.2f}", flush=True)


def memory(servers: dict[str, RunningServer]) -> None:
    """RSS counts the pages a worker shares with the master (the model, torch): private is its own cost."""
    print("\nmemory (MB): master RSS; each worker's RSS / private (not shared with the master)")
    for label, server in servers.items():
        workers = "  ".join(
            f"{server.rss_bytes(p) / MB:.0f} / {server.private_bytes(p) / MB:.0f}" for p in server.workers()
        )
        print(f"{label:>19}  master {server.rss_bytes() / MB:.0f}  workers: {workers or '(none: one process)'}")


def memory_run(args: argparse.Namespace, pictures: list[tuple[bytes, int]], label: str, server: RunningServer) -> None:
    level = drive(server, pictures, CLIENTS[-1], args.long)
    print(f"\n{args.long:,} more requests at {CLIENTS[-1]} clients, {label}:\n{HEADER}\n{level.row()}")
    growth = (level.memory_after - level.memory_before) / MB
    print(f"server memory growth over these {args.long:,} requests: {growth:+.1f} MB")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="model file to serve")
    parser.add_argument("--requests", type=int, default=2000, help="requests per level (default: %(default)s)")
    parser.add_argument("--ab-requests", type=int, default=4000, help="requests per ab run (default: %(default)s)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="measurements per level and server (default: %(default)s)"
    )
    parser.add_argument("--long", type=int, default=10_000, help="requests in the memory run (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=300, help="requests before measuring (default: %(default)s)")
    parser.add_argument("--size", type=int, default=112, help="side of the own client's PNGs (default: %(default)s)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="--workers values to compare")
    parser.add_argument("--batches", type=int, nargs="+", default=[64], help="--max-batch values to compare")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    pictures = png_digits(1000, args.size)
    ab_png = png_digits(1, AB_SIDE)[0][0]
    kb = np.mean([len(body) for body, _ in pictures]) / 1024
    print(f"{len(pictures)} MNIST test digits as {args.size}x{args.size} PNG ({kb:.1f} kB each on average)")
    print(f"ab's picture: the first test digit as a {AB_SIDE}x{AB_SIDE} PNG ({len(ab_png) / 1024:.1f} kB)")
    print(f"load average (1, 5, 15 min) of the machine before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    configs = [(w, b) for w in args.workers for b in args.batches]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        servers = {}
        for workers, batch in configs:
            log = Path(tmp) / f"server-{workers}-{batch}.log"
            options = ["--workers", str(workers), "--max-batch", str(batch)]
            servers[name(workers, batch)] = server = stack.enter_context(running_server(args.model, log, options))
            server.wait_for_workers(workers if workers > 1 else 0)
        for server in servers.values():
            drive(server, pictures, 8, args.warmup)
        own_client(args, pictures, servers)
        outside(args, ab_png, servers)
        memory(servers)
        if args.long:
            memory_run(args, pictures, *list(servers.items())[-1])
    print(f"load average (1, 5, 15 min) of the machine after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
