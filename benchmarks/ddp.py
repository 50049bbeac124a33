"""Training on several processes, measured side by side on this machine (CPU, gloo on loopback).

Run from the repo root after `dvc repro` (it reads data/processed):  python -m benchmarks.ddp
Prints the launcher's start-up cost, training throughput of the default model with 1 and 2
processes, the gloo all-reduce time of its gradients, and the compute time of one step against the
batch each process gets (the inputs of the scaling model in the README's "Scale out" section).
The same file is the worker the launcher starts:  ... launch --nproc-per-node N benchmarks/ddp.py worker
"""

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist

from digits.core.params import load_params
from digits.core.paths import ProjectPaths
from digits.core.runtime import available_cores, configure_torch
from digits.data.splits import Split, load_split
from digits.distributed.world import World, process_group
from digits.model.networks import count_parameters
from digits.training.fit import fit, init_model

ROOT = Path(__file__).resolve().parents[1]
PATHS = ProjectPaths(ROOT)
LAUNCH = [sys.executable, "-m", "digits.distributed.launch"]
CPU = torch.device("cpu")
STEPS = 60  # training steps per timed epoch
VAL_IMAGES = 256  # a small validation pass, so the epoch time is nearly all training


def head(split: Split, n: int) -> Split:
    return dataclasses.replace(split, images=split.images[:n], labels=split.labels[:n])


def seconds_per_step(batch_size: int, world: World, epochs: int = 2) -> float:
    """Best epoch of the default model on STEPS global batches of real MNIST (seconds per step)."""
    params = dataclasses.replace(load_params(PATHS.params, "train"), epochs=epochs, batch_size=batch_size, device="cpu")
    train, val = head(load_split(PATHS.split("train")), STEPS * batch_size), load_split(PATHS.split("val"))
    history = fit(init_model(params), train, head(val, VAL_IMAGES), params, CPU, world=world)
    return min(s.seconds for s in history.epochs) / STEPS


def all_reduce_seconds(numel: int, repeats: int = 200) -> float:
    """Mean time of one gloo all-reduce of `numel` float32 values (the model's gradients)."""
    grads = torch.randn(numel)
    for _ in range(10):
        dist.all_reduce(grads)
    dist.barrier()
    start = time.perf_counter()
    for _ in range(repeats):
        dist.all_reduce(grads)
    return (time.perf_counter() - start) / repeats


def worker() -> None:
    """Under the launcher: time training on this world; rank 0 prints one JSON line."""
    params = load_params(PATHS.params, "train")
    world = World.from_env()
    configure_torch("auto", world.local_size)
    with process_group(world, CPU) as world:
        step = seconds_per_step(params.batch_size, world)
        numel = count_parameters(init_model(params))
        reduce = all_reduce_seconds(numel) if world.size > 1 else 0.0
    if world.rank == 0:
        print(json.dumps({"step": step, "all_reduce": reduce, "numel": numel, "threads": torch.get_num_threads()}))


def launched(processes: int) -> dict[str, float]:
    command = [*LAUNCH, "--nproc-per-node", str(processes), __file__, "worker"]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)  # noqa: S603 (our own command)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_up_seconds(command: list[str], repeats: int = 3) -> float:
    """Best wall time of `command` running a script that only imports torch."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603 (our own commands)
        times.append(time.perf_counter() - start)
    return min(times)


def compare_launchers() -> None:
    with tempfile.TemporaryDirectory() as folder:
        torchrun = [sys.executable, "-m", "torch.distributed.run", "--log-dir", folder]  # its logs go here, not /tmp
        script = Path(folder) / "only_import_torch.py"
        script.write_text("import torch\n")
        plain = start_up_seconds([sys.executable, str(script)])
        rows = {
            "launcher, 1 process (runs in-process)": [*LAUNCH, "--nproc-per-node", "1", str(script)],
            "torchrun --standalone, 1 process": [*torchrun, "--standalone", "--nproc-per-node", "1", str(script)],
            "launcher, 2 processes (torchrun)": [*LAUNCH, "--nproc-per-node", "2", str(script)],
        }
        print(f"start-up, a script that imports torch: python alone {plain:.2f} s; added by")
        for name, command in rows.items():
            print(f"  {name + ':':40} {start_up_seconds(command) - plain:+.2f} s")


def compare_processes() -> None:
    params = load_params(PATHS.params, "train")
    batch, size = params.batch_size, count_parameters(init_model(params))
    runs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    for _ in range(2):  # alternated, best of two: other work on the machine slows single runs
        for processes in runs:
            runs[processes].append(launched(processes))
    one, two = (min(runs[processes], key=lambda run: run["step"]) for processes in runs)
    print(f"default model ({size:,} parameters), batch {batch}, {available_cores()} cores, real MNIST:")
    for name, run in [("1 process ", one), ("2 processes", two)]:
        rate, ms = batch / run["step"], run["step"] * 1e3
        print(f"  {name} x {run['threads']} threads: {rate:6.0f} images/s ({ms:.1f} ms/step)")
    print(f"  2 vs 1 process: {one['step'] / two['step']:.2f}x")
    print(f"  gloo all-reduce of the {two['numel']:,} gradients (loopback): {two['all_reduce'] * 1e3:.2f} ms per step")


def step_time_by_batch() -> None:
    print(f"one process, {torch.get_num_threads()} threads: compute per step against the batch it computes")
    for batch in (128, 64, 32, 16):
        step = seconds_per_step(batch, World())
        print(f"  batch {batch:3d}: {step * 1e3:5.1f} ms/step ({batch / step:5.0f} images/s)")


def main() -> None:
    if sys.argv[1:] == ["worker"]:
        worker()
        return
    configure_torch("auto")
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs")
    compare_launchers()
    compare_processes()
    step_time_by_batch()


if __name__ == "__main__":
    main()
