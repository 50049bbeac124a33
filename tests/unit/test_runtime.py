"""digits/core/runtime.py: where bfloat16 autocast is used, the device choice, threads and deterministic kernels."""

import pytest
import torch

from digits.core import runtime
from digits.core.errors import PipelineError

# Two processors as /proc/cpuinfo lists them (flags shortened): one with AMX, one with AVX2 only.
XEON = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n"
EPYC = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu\n"


def test_cpu_flags_are_the_first_processors():
    assert runtime.cpu_flags(EPYC) == {"fpu", "sse2", "avx2", "fma"}
    assert "amx_bf16" in runtime.cpu_flags(XEON)
    assert runtime.cpu_flags("no flags line here") == set()


@pytest.mark.parametrize(
    ("amp", "cpuinfo", "autocast"),
    [("hardware", XEON, True), ("hardware", EPYC, False), ("cuda", XEON, False), ("none", XEON, False)],
)
def test_bf16_on_the_cpu_only_when_asked_and_where_the_hardware_has_it(tmp_path, amp, cpuinfo, autocast):
    (tmp_path / "cpuinfo").write_text(cpuinfo)
    assert runtime.train_in_bf16(amp, torch.device("cpu"), tmp_path / "cpuinfo") is autocast


def test_no_cpuinfo_means_no_autocast(tmp_path):
    assert runtime.train_in_bf16("hardware", torch.device("cpu"), tmp_path / "missing") is False


@pytest.mark.parametrize(("amp", "autocast"), [("cuda", True), ("hardware", True), ("none", False)])
def test_on_a_gpu_cuda_and_hardware_both_autocast(monkeypatch, amp, autocast):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert runtime.train_in_bf16(amp, torch.device("cuda")) is autocast


def test_cuda_without_a_gpu_is_the_users_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert runtime.resolve_device("auto", "train.device") == torch.device("cpu")
    with pytest.raises(PipelineError, match=r"train\.device: 'cuda' requested"):
        runtime.resolve_device("cuda", "train.device")


def test_configure_torch_sets_the_threads_and_deterministic_kernels():
    """configure_torch sets the kernels' switch directly (not through torch.use_deterministic_algorithms)."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        torch.use_deterministic_algorithms(False)
        runtime.configure_torch(1)
        # the flag every kernel reads (on a CPU few kernels lack a deterministic version to raise with)
        assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled()
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
