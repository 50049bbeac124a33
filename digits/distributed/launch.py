"""`python -m digits.distributed.launch [torchrun options] -m stages.train`: how dvc.yaml starts training.

It is torchrun (torch.distributed.run, the same options and PET_* environment variables), with
four changes for a DVC stage:
- One process on one machine runs the module right here: no agent, no rendezvous and no second
  Python start, which would add about 2 s to every run.
- On one machine, a private rendezvous on a free port (torchrun's --standalone), unless the
  command line or the PET_* variables name one: that is how `dvc repro` joins a multi-machine run.
- OMP_NUM_THREADS, when unset, is this machine's cores shared among its processes instead of
  torchrun's 1 (the stage then sets its threads from train.threads anyway).
- A failure is one line: the root cause among the processes' failures (failures.py), or why the
  rendezvous failed. torchrun's log (LOGLEVEL=INFO shows it) and temporary files stay out of the way.
"""

import os
import sys

# The C++ side of torchrun's rendezvous logs every failed attempt to reach a remote endpoint with a
# stack trace, for minutes. torch reads TORCH_CPP_LOG_LEVEL once, as it loads: set it before the
# imports below, for this process only (the workers get it back unset). LOGLEVEL=INFO keeps all logs.
QUIET_CPP = {"LOGLEVEL", "TORCH_CPP_LOG_LEVEL"}.isdisjoint(os.environ) and (
    "PET_RDZV_ENDPOINT" in os.environ or any(arg.startswith(("--rdzv-endpoint", "--rdzv_endpoint")) for arg in sys.argv)
)
if QUIET_CPP:
    os.environ["TORCH_CPP_LOG_LEVEL"] = "FATAL"

import logging
import runpy
import socket
import tempfile
from argparse import Namespace

from torch.distributed import run as torchrun
from torch.distributed.elastic.multiprocessing.api import SignalException
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.elastic.rendezvous import RendezvousError
from torch.distributed.elastic.rendezvous.utils import parse_rendezvous_endpoint

from digits.core.errors import PipelineError, run_main
from digits.core.runtime import available_cores
from digits.distributed.failures import describe

if QUIET_CPP:
    del os.environ["TORCH_CPP_LOG_LEVEL"]
TORCHRUN_LOGGERS = ("torch.distributed.run", "torch.distributed.launcher", "torch.distributed.elastic")


def run_here(args: Namespace) -> None:
    """Run the training module in this process, as `python -m` would."""
    sys.argv = [args.training_script, *args.training_script_args]
    if args.module:
        runpy.run_module(args.training_script, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(args.training_script, run_name="__main__")


def check_endpoint(endpoint: str) -> None:
    """A malformed endpoint or an unknown host is reported now, not after torchrun's timeouts."""
    where = f"--rdzv-endpoint '{endpoint}'"
    try:
        host, port = parse_rendezvous_endpoint(endpoint, default_port=29400)
    except ValueError as err:
        raise PipelineError(f"{where}: {err}") from None
    try:
        socket.getaddrinfo(host, port)
    except OSError as err:
        raise PipelineError(f"{where}: cannot resolve host '{host}' ({err.strerror or err})") from None


def run_torchrun(args: Namespace, processes: int) -> None:
    if torchrun.parse_min_max_nnodes(args.nnodes)[1] == 1 and not args.rdzv_endpoint:
        args.standalone = True
    if args.rdzv_endpoint and not args.standalone:
        check_endpoint(args.rdzv_endpoint)
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, available_cores() // processes)))
    if "LOGLEVEL" not in os.environ:
        for name in TORCHRUN_LOGGERS:  # their children set their own levels, so silence the parents' output
            logging.getLogger(name).addHandler(logging.NullHandler())
            logging.getLogger(name).propagate = False
    with tempfile.TemporaryDirectory(prefix="torchrun-") as log_dir:
        args.log_dir = args.log_dir or log_dir  # the workers' error files
        try:
            torchrun.run(args)
        except ChildFailedError as err:
            raise PipelineError(describe(err)) from None
        except SignalException as err:  # torchrun stopped its workers
            raise PipelineError(f"stopped by {err.sigval.name}") from None
        except RendezvousError as err:
            cause = err.__cause__ or err
            reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
            raise PipelineError(f"rendezvous at '{args.rdzv_endpoint}' failed: {reason}") from None


def launch(args: Namespace) -> None:
    processes = torchrun.determine_local_world_size(args.nproc_per_node)
    if processes == 1 and torchrun.parse_min_max_nnodes(args.nnodes)[1] == 1 and not args.rdzv_endpoint:
        run_here(args)
    else:
        run_torchrun(args, processes)


def main(argv: list[str] | None = None) -> None:
    args = torchrun.parse_args(argv)
    run_main(lambda: launch(args), args.training_script.rsplit(".", 1)[-1])


if __name__ == "__main__":
    main()
