"""Where and how torch computes: device choice, CPU threads, deterministic kernels."""

import os
from pathlib import Path

import torch

from digits.core.errors import PipelineError


def resolve_device(name: str, key: str) -> torch.device:
    """'auto' picks CUDA when present, else the CPU; 'cuda' without a GPU is the user's error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PipelineError(f"{key}: 'cuda' requested but torch sees no CUDA device (use 'auto' or 'cpu')")
    return torch.device(name)


# CPU flags (Linux /proc/cpuinfo) of bfloat16 arithmetic in hardware: AMX tiles, or AVX-512's BF16 dot
# products. Without them oneDNN emulates bf16 and a training step ran 10x slower (docs/ood.md).
NATIVE_BF16_FLAGS = {"amx_bf16", "avx512_bf16"}


def cpu_flags(cpuinfo: str) -> set[str]:
    """The feature flags of the first processor listed in /proc/cpuinfo's text."""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def train_in_bf16(amp: str, device: torch.device, cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether training runs under bfloat16 autocast (`train.amp`): 'cuda' on a GPU with bf16; 'hardware'
    there and on a CPU with AMX or AVX512-BF16 (on one with both, a training step took 20 ms, not 39)."""
    if amp == "none":
        return False
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return amp == "hardware" and cpu_has_bf16(cpuinfo)


def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    try:
        return bool(cpu_flags(cpuinfo.read_text(encoding="ascii", errors="replace")) & NATIVE_BF16_FLAGS)
    except OSError:  # not Linux: no way to tell, so no autocast
        return False


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
    # The kernels' switch that torch.use_deterministic_algorithms(True) sets; that function also sets a flag of the
    # inductor compiler, which these stages never use, and importing its config took 1.5 s of every stage's start.
    # tests/unit/test_runtime.py checks that torch reports deterministic algorithms on afterwards.
    torch._C._set_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
