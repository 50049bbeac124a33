"""Where and how torch computes: device choice, CPU threads, deterministic kernels."""

import os

import torch

from digits.errors import PipelineError


def resolve_device(name: str, key: str) -> torch.device:
    """'auto' picks CUDA when present, else the CPU; 'cuda' without a GPU is the user's error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PipelineError(f"{key}: 'cuda' requested but torch sees no CUDA device (use 'auto' or 'cpu')")
    return torch.device(name)


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def configure_torch(threads: int | str, processes_here: int = 1) -> None:
    """Set the CPU thread count and ask for deterministic kernels (same params -> same bytes).

    'auto' gives each of the `processes_here` processes on this machine an equal share of its cores.
    Set explicitly, it also overrides the OMP_NUM_THREADS=1 that torchrun gives its workers.
    """
    torch.set_num_threads(max(1, available_cores() // processes_here) if threads == "auto" else int(threads))
    # cuBLAS needs a fixed workspace to be deterministic; it must be set before CUDA starts.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
